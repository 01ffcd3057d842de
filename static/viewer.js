// Full-screen page viewer (文书全屏阅读): tap a page to open it; pinch or double-tap to zoom; swipe
// or the buttons to turn pages; Esc or 关闭 to go back. Touch events and plain DOM only (WeChat's
// in-app browser has them); without JavaScript the page link opens the image itself.
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll("#pages .page-open"));
  if (!links.length) { return; }
  var count = links.length;
  var current = 1;
  var zoom = 1;
  var opener = null;

  var viewer = document.createElement("div");
  viewer.className = "viewer";
  viewer.id = "viewer";
  viewer.hidden = true;
  viewer.setAttribute("role", "dialog");
  viewer.setAttribute("aria-modal", "true");
  viewer.setAttribute("aria-label", "全屏阅读");
  var bar = document.createElement("div");
  bar.className = "viewer-bar";
  var label = document.createElement("span");
  label.className = "viewer-no";
  label.id = "viewer-no";
  label.setAttribute("aria-live", "polite");
  function button(text, id) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.id = id;
    bar.appendChild(b);
    return b;
  }
  bar.appendChild(label);
  var prev = button("上一页", "viewer-prev");
  var next = button("下一页", "viewer-next");
  var zoomButton = button("放大", "viewer-zoom");
  var close = button("关闭", "viewer-close");
  var stage = document.createElement("div");
  stage.className = "viewer-stage";
  stage.id = "viewer-stage";
  var image = document.createElement("img");
  image.id = "viewer-image";
  stage.appendChild(image);
  viewer.appendChild(bar);
  viewer.appendChild(stage);
  document.body.appendChild(viewer);

  function setZoom(value, cx, cy) {
    var old = zoom;
    zoom = Math.min(5, Math.max(1, value));
    // Keep the point under the fingers (or the centre) where it was.
    var x = cx === undefined ? stage.clientWidth / 2 : cx;
    var y = cy === undefined ? stage.clientHeight / 2 : cy;
    var sx = (stage.scrollLeft + x) / old;
    var sy = (stage.scrollTop + y) / old;
    image.style.width = (zoom * 100) + "%";
    stage.scrollLeft = sx * zoom - x;
    stage.scrollTop = sy * zoom - y;
    zoomButton.textContent = zoom > 1 ? "还原" : "放大";
  }

  function show(n) {
    current = Math.min(count, Math.max(1, n));
    var link = links[current - 1];
    image.src = link.getAttribute("href");
    image.alt = link.querySelector("img").alt;
    label.textContent = "第 " + current + " / " + count + " 页";
    prev.disabled = current === 1;
    next.disabled = current === count;
    setZoom(1);
    stage.scrollTop = 0;
  }

  function open(n, from) {
    opener = from;
    viewer.hidden = false;
    document.body.className += " viewing";
    show(n);
    close.focus();
  }

  function shut() {
    viewer.hidden = true;
    document.body.className = document.body.className.replace(/\s*viewing/g, "");
    var target = links[current - 1];
    if (target) { target.focus(); target.scrollIntoView(); } else if (opener) { opener.focus(); }
  }

  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      open(parseInt(link.getAttribute("data-page"), 10), link);
    });
  });
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  close.addEventListener("click", shut);
  zoomButton.addEventListener("click", function () { setZoom(zoom > 1 ? 1 : 3); });
  document.addEventListener("keydown", function (event) {
    if (viewer.hidden) { return; }
    if (event.key === "Escape") { shut(); }
    if (event.key === "ArrowLeft") { show(current - 1); }
    if (event.key === "ArrowRight") { show(current + 1); }
  });

  // Double tap (or double click) toggles 3x at the tapped point: an A4 page on a 360 px phone then
  // shows 10.5 pt body text at about 19 CSS px.
  var lastTap = null;
  var touchToggledAt = 0;
  function toggleAt(clientX, clientY) {
    var rect = stage.getBoundingClientRect();
    setZoom(zoom > 1 ? 1 : 3, clientX - rect.left, clientY - rect.top);
  }
  stage.addEventListener("dblclick", function (event) {
    if (Date.now() - touchToggledAt < 600) { return; } // the touch handler already did it
    toggleAt(event.clientX, event.clientY);
  });

  // Pinch to zoom; swipe to turn pages (only when not zoomed, so panning a zoomed page scrolls);
  // a tap is a touch that neither moved nor lasted, and two taps in a row are a double tap.
  var pinch = null;
  var touch = null;
  function distance(touches) {
    var dx = touches[0].clientX - touches[1].clientX;
    var dy = touches[0].clientY - touches[1].clientY;
    return Math.sqrt(dx * dx + dy * dy);
  }
  stage.addEventListener("touchstart", function (event) {
    if (event.touches.length === 2) {
      pinch = { start: distance(event.touches), zoom: zoom };
      touch = null;
    } else if (event.touches.length === 1 && !pinch) {
      var t = event.touches[0];
      touch = { x: t.clientX, y: t.clientY, time: Date.now() };
    }
  }, { passive: true });
  stage.addEventListener("touchmove", function (event) {
    if (pinch && event.touches.length === 2) {
      event.preventDefault();
      var rect = stage.getBoundingClientRect();
      var cx = (event.touches[0].clientX + event.touches[1].clientX) / 2 - rect.left;
      var cy = (event.touches[0].clientY + event.touches[1].clientY) / 2 - rect.top;
      setZoom(pinch.zoom * distance(event.touches) / pinch.start, cx, cy);
    } else if (touch && zoom === 1 && event.touches.length === 1) {
      // A sideways swipe turns our page, not the browser's history (its back gesture).
      var m = event.touches[0];
      if (Math.abs(m.clientX - touch.x) > Math.abs(m.clientY - touch.y)) { event.preventDefault(); }
    }
  }, { passive: false });
  stage.addEventListener("touchend", function (event) {
    if (pinch) {
      if (event.touches.length === 0) { pinch = null; }
      return;
    }
    if (!touch || !event.changedTouches.length) { touch = null; return; }
    var t = event.changedTouches[0];
    var dx = t.clientX - touch.x;
    var dy = t.clientY - touch.y;
    var now = Date.now();
    if (Math.abs(dx) < 10 && Math.abs(dy) < 10 && now - touch.time < 300) {
      if (lastTap && now - lastTap.time < 350 && Math.abs(t.clientX - lastTap.x) < 30) {
        event.preventDefault();
        touchToggledAt = now;
        toggleAt(t.clientX, t.clientY);
        lastTap = null;
      } else {
        lastTap = { x: t.clientX, time: now };
      }
    } else if (zoom === 1 && Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy) && now - touch.time < 800) {
      show(current + (dx < 0 ? 1 : -1));
      lastTap = null;
    }
    touch = null;
  });
})();

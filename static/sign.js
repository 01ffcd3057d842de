// Signature pad (手写签名): pointer events cover mouse, pen and touch alike. The drawing is
// written into the hidden "signature" field as a PNG data URL; the server checks it again.
(function () {
  "use strict";
  var canvas = document.getElementById("signature-pad");
  var field = document.getElementById("signature");
  var form = document.getElementById("sign-form");
  if (!canvas || !field || !form) { return; }
  var missing = document.getElementById("signature-missing");
  var ctx = canvas.getContext("2d");
  var drawing = false;
  var drawn = false;
  var last = null;

  function resize() {
    // Backing store in device pixels, so strokes stay sharp on high-density phone screens.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var rect = canvas.getBoundingClientRect();
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    drawn = false;
    field.value = "";
  }

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    ctx.beginPath();
    ctx.arc(last.x, last.y, 1.2, 0, 2 * Math.PI);
    ctx.fillStyle = "#111";
    ctx.fill();
  });

  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    event.preventDefault();
    var p = point(event);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    drawn = true;
  });

  function finish() {
    if (!drawing) { return; }
    drawing = false;
    if (drawn) {
      field.value = canvas.toDataURL("image/png");
      if (missing) { missing.hidden = true; }
    }
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  document.getElementById("clear-signature").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    field.value = "";
  });

  form.addEventListener("submit", function (event) {
    if (!field.value) {
      event.preventDefault();
      if (missing) { missing.hidden = false; }
    }
  });

  resize();
})();

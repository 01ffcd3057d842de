// Signed page (已签收): ask every few seconds whether the receipt is sealed and show the download
// button when it is, so nobody has to reload. Plain XMLHttpRequest: WeChat's in-app browser and
// old Android WebViews have it; the page's CSP allows same-origin requests and this file only.
(function () {
  "use strict";
  var pending = document.getElementById("receipt-pending");
  var ready = document.getElementById("receipt-ready");
  if (!pending || !ready) { return; }
  var url = pending.getAttribute("data-status-url");
  var tries = 0;
  var MAX_TRIES = 150; // about five minutes at the interval below; the refresh button stays

  function ask() {
    tries += 1;
    var request = new XMLHttpRequest();
    request.open("GET", url, true);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var sealed = false;
      try { sealed = request.status === 200 && JSON.parse(request.responseText).sealed === true; } catch (e) { sealed = false; }
      if (sealed) {
        ready.hidden = false;
        pending.hidden = true;
        var link = document.getElementById("receipt-link");
        if (link) { link.focus(); }
      } else if (tries < MAX_TRIES) {
        window.setTimeout(ask, 2000);
      }
    };
    request.onerror = function () { if (tries < MAX_TRIES) { window.setTimeout(ask, 4000); } };
    request.send();
  }
  window.setTimeout(ask, 1000);
})();

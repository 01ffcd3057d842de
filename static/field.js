// 外出送达 on a phone: arrival, captures and closing through /console/api/field.
// Uploads are resumable: each capture gets an id (kept in localStorage with its digest), the
// server says how many bytes it has, and the page sends the rest in chunks. A dropped connection
// is retried from the server's offset; a resent chunk is never stored twice.
(function () {
  "use strict";
  var root = document.getElementById("field");
  if (!root) { return; }
  var task = root.getAttribute("data-task");
  var csrf = root.getAttribute("data-csrf");
  var CHUNK = 256 * 1024;
  var $ = function (id) { return document.getElementById(id); };
  var progress = $("upload-progress");

  function say(text) { if (progress) { progress.textContent = text; } }

  function api(method, path, body, headers) {
    var h = { "Accept": "application/json", "X-CSRF-Token": csrf };
    var payload = body;
    if (body && !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(path, { method: method, headers: h, body: payload, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var error = new Error((data.error && data.error.message) || "请求失败");
            error.status = response.status;
            error.data = data;
            throw error;
          }
          return data;
        });
      });
  }

  function position() {
    return new Promise(function (resolve) {
      var base = { device_time: new Date().toISOString() };
      if (!navigator.geolocation) { resolve(base); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        base.latitude = p.coords.latitude;
        base.longitude = p.coords.longitude;
        base.accuracy = p.coords.accuracy;
        resolve(base);
      }, function () { resolve(base); }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    });
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function uploadId(digest) {
    var key = "songda-upload-" + task + "-" + digest;
    var id = localStorage.getItem(key);
    if (!id) {
      var random = new Uint8Array(12);
      crypto.getRandomValues(random);
      id = "c" + hex(random.buffer);
      localStorage.setItem(key, id);
    }
    return id;
  }

  function sendFrom(id, bytes, offset, attempt) {
    if (offset >= bytes.byteLength) { return Promise.resolve(); }
    var chunk = bytes.slice(offset, Math.min(offset + CHUNK, bytes.byteLength));
    say("正在上传 " + Math.round(offset * 100 / bytes.byteLength) + "%");
    return api("PATCH", "/console/api/field/uploads/" + id, new Blob([chunk]), { "Upload-Offset": String(offset) })
      .then(function (state) {
        if (state.state === "complete") { return; }
        return sendFrom(id, bytes, state.received, 0);
      }, function (error) {
        if (error.status && error.status < 500 && error.status !== 409) { throw error; }
        if (attempt >= 8) { throw new Error("网络不稳定，上传已暂停，稍后再点“上传”即可从断点继续"); }
        // Ask the server how far it got, then go on from there.
        return sleep(Math.min(500 * Math.pow(2, attempt), 8000)).then(function () {
          return api("GET", "/console/api/field/uploads/" + id).then(function (state) {
            return state.state === "complete" ? undefined : sendFrom(id, bytes, state.received, attempt + 1);
          }, function () { return sendFrom(id, bytes, offset, attempt + 1); });
        });
      });
  }

  function upload(blob, filename, kind, witness, label) {
    var bytes;
    return blob.arrayBuffer().then(function (buffer) {
      bytes = buffer;
      return crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      var sha = hex(digest);
      var id = uploadId(sha);
      return position().then(function (pos) {
        pos.upload_id = id;
        pos.kind = kind;
        pos.filename = filename;
        pos.size = bytes.byteLength;
        pos.sha256 = sha;
        pos.witness_name = witness || "";
        return api("POST", "/console/api/field/tasks/" + task + "/uploads", pos);
      }).then(function (state) {
        return state.state === "complete" ? state : sendFrom(id, bytes, state.received, 0);
      }).then(function () {
        say("上传完成");
        var item = document.createElement("li");
        item.textContent = label + "：" + filename + " 已上传";
        item.className = "capture-done";
        $("captures").appendChild(item);
      });
    }).catch(function (error) { say(error.message); });
  }

  var arrive = $("arrive");
  if (arrive) {
    arrive.addEventListener("click", function () {
      position().then(function (pos) {
        return api("POST", "/console/api/field/tasks/" + task + "/arrive", pos);
      }).then(function (state) {
        $("arrived").hidden = false;
        $("arrived").textContent = "已记录到达：" + new Date(state.server_time).toLocaleString("zh-CN");
        $("task-status").textContent = "办理中";
      }).catch(function (error) { say(error.message); });
    });
  }

  var button = $("upload-capture");
  if (button) {
    button.addEventListener("click", function () {
      var file = $("capture-file").files[0];
      if (!file) { say("请先选择或拍摄文件"); return; }
      var select = $("capture-kind");
      upload(file, file.name, select.value, $("witness-name").value, select.options[select.selectedIndex].text);
    });
  }

  // The signature pad (same drawing rules as static/sign.js).
  var pad = $("field-signature");
  if (pad) {
    var ctx = pad.getContext("2d");
    var drawing = false, drawn = false, last = null;
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var rect = pad.getBoundingClientRect();
    pad.width = Math.round(rect.width * ratio);
    pad.height = Math.round(rect.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    var point = function (e) { var r = pad.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; };
    pad.addEventListener("pointerdown", function (e) { e.preventDefault(); pad.setPointerCapture(e.pointerId); drawing = true; last = point(e); });
    pad.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      e.preventDefault();
      var p = point(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; drawn = true;
    });
    var stop = function () { drawing = false; };
    pad.addEventListener("pointerup", stop);
    pad.addEventListener("pointercancel", stop);
    $("clear-field-signature").addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; });
    $("upload-signature").addEventListener("click", function () {
      if (!drawn) { say("请先签名"); return; }
      var witness = $("witness-signs").checked ? $("witness-name").value : "";
      if ($("witness-signs").checked && !witness) { say("请填写见证人姓名"); return; }
      pad.toBlob(function (blob) {
        upload(blob, "签名.png", "signature", witness, witness ? "见证人签名" : "签名");
      }, "image/png");
    });
  }

  var close = $("close-task");
  if (close) {
    close.addEventListener("click", function () {
      var method = $("close-method").value;
      var body = {
        outcome: method === "failed" ? "failed" : "served",
        method: method === "failed" ? null : method,
        served_at: new Date().toISOString(),
        collector: $("collector").value, collector_name: $("collector-name").value, relation: $("relation").value,
        refusal_reason: $("refusal-reason").value, witness_name: $("close-witness").value,
        witness_role: $("witness-role").value, failure_reason: $("failure-reason").value || null,
        failure_text: $("failure-text").value
      };
      $("close-error").hidden = true;
      api("POST", "/console/api/field/tasks/" + task + "/close", body).then(function (result) {
        var done = $("close-done");
        done.hidden = false;
        done.textContent = "已办结（" + (result.effect_rule || "送达失败") + "）";
        $("task-status").textContent = "已办结";
        if (result.receipt_url) {
          var link = document.createElement("a");
          link.href = result.receipt_url; link.id = "receipt-link"; link.className = "button";
          link.textContent = "下载送达回证";
          done.appendChild(link);
        }
      }, function (error) {
        var details = (error.data && error.data.error && error.data.error.details) || [];
        var box = $("close-error");
        box.hidden = false;
        box.textContent = error.message + (Array.isArray(details) && details.length ?
          "：" + details.map(function (d) { return d.message; }).join("；") : "");
      });
    });
  }
})();

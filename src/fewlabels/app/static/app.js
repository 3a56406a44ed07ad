// fewlabels labelling page: keyboard shortcuts, one write at a time, reload after each commit.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="fewlabels-token"]').content;
  var card = document.getElementById("item");
  var itemId = card ? card.getAttribute("data-item-id") : null;
  var statusEl = document.getElementById("status");
  var STACK = "fewlabels-undo";
  var busy = false;

  function stack() {
    try { return JSON.parse(sessionStorage.getItem(STACK) || "[]"); } catch (e) { return []; }
  }
  function saveStack(s) { sessionStorage.setItem(STACK, JSON.stringify(s.slice(-200))); }
  function say(text) { if (statusEl) { statusEl.textContent = text; } }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Fewlabels-Token": token },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.error || ("HTTP " + r.status)); }
        return data;
      });
    });
  }

  function act(path, body, after) {
    if (busy) { return; }
    busy = true;
    document.body.classList.add("busy");
    post(path, body).then(function (data) {
      if (after) { after(data); }
      window.location.reload();  // the server renders the next item, after the commit
    }).catch(function (err) {
      busy = false;
      document.body.classList.remove("busy");
      say("Not saved: " + err.message);
    });
  }

  function label(value) {
    if (!itemId) { return; }
    act("/api/label", { item_id: itemId, label: value }, function (data) {
      var s = stack(); s.push(data.seq); saveStack(s);
    });
  }
  function skip() { if (itemId) { act("/api/skip", { item_id: itemId }); } }
  function undo() {
    var s = stack();
    var seq = s.length ? s[s.length - 1] : null;
    act("/api/undo", { seq: seq }, function () { s.pop(); saveStack(s); });
  }

  document.querySelectorAll("button.label").forEach(function (b) {
    b.addEventListener("click", function () { label(b.getAttribute("data-label")); });
  });
  var undoBtn = document.getElementById("undo");
  if (undoBtn) { undoBtn.addEventListener("click", undo); }
  var skipBtn = document.getElementById("skip");
  if (skipBtn) { skipBtn.addEventListener("click", skip); }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var k = ev.key.toLowerCase();
    if (k.length === 1 && k >= "0" && k <= "9") {
      var b = document.querySelector('button.label[data-key="' + k + '"]');
      if (b) { ev.preventDefault(); label(b.getAttribute("data-label")); }
    } else if (k === "s" || k === "arrowright") {
      ev.preventDefault(); skip();
    } else if (k === "u" || k === "z" || k === "backspace") {
      ev.preventDefault(); undo();
    }
  });
  document.body.setAttribute("data-ready", "1");
})();

// fewlabels labelling page: keyboard shortcuts, one write at a time, reload after each commit.
// A label the server could not save yet (503: labels.db busy; or no answer) stays queued in
// sessionStorage and is sent again with backoff, also after a reload, until it is saved.
// The annotator's name (typed once) lives in localStorage, goes with every write and, as a
// cookie, tells the server whose queue to show. The review page (/review) uses the same code.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="fewlabels-token"]').content;
  var card = document.getElementById("item");
  var itemId = card ? card.getAttribute("data-item-id") : null;
  var roundEl = document.querySelector("[data-round-id]");
  var roundId = roundEl ? parseInt(roundEl.getAttribute("data-round-id"), 10) : null;
  var statusEl = document.getElementById("status");
  var STACK = "fewlabels-undo";
  var PENDING = "fewlabels-pending";
  var FEEDBACK = "fewlabels-feedback";
  var ANNOTATOR = "fewlabels-annotator";
  var ANNOTATOR_MAX = 64;
  var RETRY_MAX_MS = 15000;
  var busy = false;
  var attempt = 0;
  // a multi-label item: keys toggle checkboxes, Enter confirms the ticked set ([] = no labels)
  var multi = !!(card && card.getAttribute("data-task") === "multilabel");

  function stack() {
    try { return JSON.parse(sessionStorage.getItem(STACK) || "[]"); } catch (e) { return []; }
  }
  function saveStack(s) { sessionStorage.setItem(STACK, JSON.stringify(s.slice(-200))); }
  function pending() {
    try { return JSON.parse(sessionStorage.getItem(PENDING) || "null"); } catch (e) { return null; }
  }
  function setPending(p) {
    if (p) { sessionStorage.setItem(PENDING, JSON.stringify(p)); }
    else { sessionStorage.removeItem(PENDING); }
  }
  function say(text, kind) {
    if (!statusEl) { return; }
    statusEl.textContent = text;
    statusEl.setAttribute("data-state", kind || "");
  }

  function annotator() {
    if (document.getElementById("annotator-fixed")) { return null; }  // the server's session name
    try { return localStorage.getItem(ANNOTATOR) || null; } catch (e) { return null; }
  }
  function setAnnotatorCookie(name) {
    document.cookie = "fewlabels_annotator=" + encodeURIComponent(name || "") +
      "; path=/; samesite=strict" + (name ? "" : "; max-age=0");
  }

  // resolves {ok, status, data, retryAfter}; status 0 when no answer came (server gone, network)
  function post(path, body) {
    var name = annotator();
    if (name && body.annotator === undefined) { body.annotator = name; }
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Fewlabels-Token": token },
      body: JSON.stringify(body)
    }).then(function (r) {
      var after = parseFloat(r.headers.get("Retry-After") || "");
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data, retryAfter: after };
      });
    }, function () {
      return { ok: false, status: 0, data: {}, retryAfter: NaN };
    });
  }

  function setBusy(on) {
    busy = on;
    document.body.classList.toggle("busy", on);
  }

  function setText(labels) {  // a label set as the page says it: {a, b}, or no labels
    return labels.length ? "{" + labels.join(", ") + "}" : "no labels";
  }

  // what a grid action wrote: "labelled 3 as 'x'", or "added 'x' to the labels of 3 item(s)"
  function gridDone(data) {
    return data.added ? "added '" + data.label + "' to the labels of " + data.written.length +
      " item(s)" : "labelled " + data.written.length + " as '" + data.label + "'";
  }

  // the line shown after the reload that follows each action: what happened, how to undo it
  function feedbackLine(job, data) {
    var b = job.body || {};
    switch (job.kind) {
      case "label": return "labelled " + b.item_id + " as " +
        (b.labels ? setText(data.labels || b.labels) : "'" + b.label + "'") + " — undo with U";
      case "grid": return gridDone(data) + " — undo with U";
      case "skip": return "skipped " + b.item_id + " (it comes back later in the round)";
      case "exclude": return "took " + b.item_id + " out of the pool (none of these) — undo with U";
      case "include": return "brought " + b.item_id + " back into the pool";
      case "undo":
        if (data.labels !== undefined) {
          return "undid the labels of " + data.item_id +
            (data.labels ? ": back to " + setText(data.labels) : ": unlabelled again");
        }
        return "undid the label of " + data.item_id +
          (data.label ? ": back to '" + data.label + "'" : ": unlabelled again");
      case "undo-batch": return "undid the labels of " + data.undone.length + " item(s)" +
        (data.changed.length ? "; " + data.changed.length + " relabelled since were left" : "");
      case "review": return (b.action === "change" ? "changed " + b.item_id + " to " +
        (b.labels ? setText(b.labels) : "'" + b.label + "'")
        : b.action + " " + b.item_id) + " (review)";
      case "close": return "closed the round: " + data.left + " item(s) went back to the pool";
      default: return "";
    }
  }

  function afterSuccess(job, data) {
    if (job.kind === "label") { var s = stack(); s.push(data.seq); saveStack(s); }
    if (job.kind === "grid" && data.batch) { var g = stack(); g.push({ batch: data.batch }); saveStack(g); }
    if (job.kind === "exclude") { var x = stack(); x.push({ include: data.item_id }); saveStack(x); }
    if (job.kind === "undo" || job.kind === "include" || job.kind === "undo-batch") {
      var t = stack(); t.pop(); saveStack(t);
    }
    if (job.kind === "grid" && data.changed && data.changed.length) {
      showChanged(job, data);  // stay on this grid: the user decides about the others
      return;
    }
    sessionStorage.setItem(FEEDBACK, feedbackLine(job, data));
    window.location.reload();  // the server renders the next item, after the commit
  }

  // a grid action met items labelled by another page meanwhile: say which, offer to label them
  function showChanged(job, data) {
    setBusy(false);
    var names = data.changed.map(function (c) {
      return c.id + (c.label ? " ('" + c.label + "' by " + c.who + ")" : " (unlabelled since)");
    });
    var fb = document.getElementById("feedback");
    fb.textContent = (data.written.length ? gridDone(data) + " — undo with U. " : "") +
      data.changed.length +
      " were labelled meanwhile and left as they are: " + names.join(", ") + ". ";
    fb.setAttribute("data-state", "changed");
    var again = document.createElement("button");
    again.type = "button";
    again.id = "confirm-changed";
    again.textContent = data.added ? "Add '" + data.label + "' to them too"
      : "Label them '" + data.label + "' too";
    again.addEventListener("click", function () {
      act({ kind: "grid", path: "/api/grid-label", body: { label: data.label,
        items: data.changed.map(function (c) { return { id: c.id, seen: c.seen }; }) } });
    });
    fb.appendChild(again);
  }

  // job: {kind, path, body}; labels are queued (retried until saved), other writes are not
  function run(job) {
    var queued = job.kind === "label";
    setBusy(true);
    if (queued) { setPending(job); }
    say(attempt ? "retrying…" : "saving…", "saving");
    post(job.path, job.body).then(function (res) {
      if (res.ok) { attempt = 0; setPending(null); afterSuccess(job, res.data); return; }
      var transient = res.status === 0 || res.status === 503;
      if (queued && transient) {
        attempt += 1;
        var wait = Math.min(RETRY_MAX_MS, 1000 * Math.pow(2, attempt - 1));
        if (res.retryAfter > 0) { wait = Math.max(wait, res.retryAfter * 1000); }
        say("Not saved yet (" + (res.status ? "the label store is busy" : "no answer") +
            "): your label is kept and will be retried in " + Math.round(wait / 1000) +
            " s…", "retrying");
        window.setTimeout(function () { run(job); }, wait);
        return;
      }
      if (queued) { setPending(null); }
      attempt = 0;
      setBusy(false);
      say("Not saved: " + (res.data.error || ("HTTP " + res.status)), "error");
    });
  }

  function act(job) { if (!busy) { run(job); } }

  function label(value) {
    if (!itemId) { return; }
    act({ kind: "label", path: "/api/label", body: { item_id: itemId, label: value } });
  }
  function labelBoxes() { return Array.prototype.slice.call(document.querySelectorAll("input.label-box")); }
  function ticked() {
    return labelBoxes().filter(function (b) { return b.checked; }).map(function (b) {
      return b.getAttribute("data-label");
    });
  }
  function showTicked() {
    var el = document.getElementById("chosen");
    if (!el) { return; }
    var t = ticked();
    el.textContent = t.length ? "Enter confirms " + setText(t)
      : "nothing ticked: Enter confirms no labels (none of the classes fits)";
    el.setAttribute("data-empty", t.length ? "0" : "1");
  }
  function toggle(box) { box.checked = !box.checked; showTicked(); }
  function confirmSet() {
    if (!itemId) { return; }
    act({ kind: "label", path: "/api/label", body: { item_id: itemId, labels: ticked() } });
  }
  function skip() {
    if (itemId) { act({ kind: "skip", path: "/api/skip", body: { item_id: itemId } }); }
  }
  function none() {  // "none of these": the item leaves the pool; Undo brings it back
    if (itemId) { act({ kind: "exclude", path: "/api/exclude", body: { item_id: itemId } }); }
  }
  function undo() {
    var s = stack();
    var top = s.length ? s[s.length - 1] : null;
    if (top && typeof top === "object" && top.include) {
      act({ kind: "include", path: "/api/include", body: { item_id: top.include } });
      return;
    }
    if (top && typeof top === "object" && top.batch) {
      act({ kind: "undo-batch", path: "/api/undo-batch", body: { batch: top.batch } });
      return;
    }
    act({ kind: "undo", path: "/api/undo", body: { seq: top } });
  }
  function review(button) {
    var card = button.closest(".review-item");
    if (!card) { return; }
    var body = { item_id: card.getAttribute("data-item-id"), action: button.getAttribute("data-action") };
    if (body.action === "change") {
      var set = button.getAttribute("data-labels");  // a multi-label workspace: a set
      if (set !== null) { body.labels = JSON.parse(set); } else { body.label = button.getAttribute("data-label"); }
    }
    act({ kind: "review", path: "/api/review", body: body });
  }
  var closeArmed = null;
  function closeRound(button) {
    if (busy || roundId === null) { return; }
    if (!closeArmed) {  // two clicks: the first only asks
      button.textContent = "Close round? Click again";
      closeArmed = window.setTimeout(function () {
        closeArmed = null; button.textContent = "Close round";
      }, 5000);
      return;
    }
    window.clearTimeout(closeArmed);
    closeArmed = null;
    act({ kind: "close", path: "/api/close-round", body: { round_id: roundId } });
  }

  document.querySelectorAll("button.label").forEach(function (b) {
    b.addEventListener("click", function () { label(b.getAttribute("data-label")); });
  });
  labelBoxes().forEach(function (b) { b.addEventListener("change", showTicked); });
  var confirmBtn = document.getElementById("confirm");
  if (confirmBtn) { confirmBtn.addEventListener("click", confirmSet); }
  if (multi) { showTicked(); }
  var undoBtn = document.getElementById("undo");
  if (undoBtn) { undoBtn.addEventListener("click", undo); }
  var skipBtn = document.getElementById("skip");
  if (skipBtn) { skipBtn.addEventListener("click", skip); }
  var noneBtn = document.getElementById("none");
  if (noneBtn) { noneBtn.addEventListener("click", none); }
  document.querySelectorAll(".review-item button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { review(b); });
  });
  var nameInput = document.getElementById("annotator");
  if (nameInput) {
    var saved = annotator();
    if (saved) { nameInput.value = saved; setAnnotatorCookie(saved); }
    else if (statusEl) { say("Who is labelling? Type your name at the top (kept in this browser).", "ask"); }
    nameInput.addEventListener("change", function () {
      var name = nameInput.value.trim();
      if (!name || name.length > ANNOTATOR_MAX) {
        say("An annotator name has 1 to " + ANNOTATOR_MAX + " characters.", "error");
        return;
      }
      localStorage.setItem(ANNOTATOR, name);
      setAnnotatorCookie(name);
      window.location.reload();  // the server shows the queue of this annotator
    });
  }
  var closeBtn = document.getElementById("close-round");
  if (closeBtn) { closeBtn.addEventListener("click", function () { closeRound(closeBtn); }); }

  // the grid: tick items, then one action labels every ticked one
  var grid = document.getElementById("grid");
  function picked() {
    return Array.prototype.filter.call(document.querySelectorAll("#grid .cell"), function (c) {
      return c.querySelector(".pick-box").checked;
    });
  }
  function countPicked() {
    var n = document.getElementById("n-selected");
    if (n) { n.textContent = String(picked().length); }
  }
  function gridLabel(value) {
    var cells = picked();
    if (!cells.length) { say("Tick at least one item first.", "error"); return; }
    act({ kind: "grid", path: "/api/grid-label", body: { label: value, items: cells.map(function (c) {
      var seen = c.getAttribute("data-seen");
      return { id: c.getAttribute("data-item-id"), seen: seen ? parseInt(seen, 10) : null };
    }) } });
  }
  if (grid) {
    grid.addEventListener("change", countPicked);
    ["select-all", "select-none"].forEach(function (id) {
      var btn = document.getElementById(id);
      if (btn) { btn.addEventListener("click", function () {
        document.querySelectorAll("#grid .pick-box").forEach(function (b) { b.checked = id === "select-all"; });
        countPicked();
      }); }
    });
    document.querySelectorAll("button.grid-label").forEach(function (b) {
      b.addEventListener("click", function () { gridLabel(b.getAttribute("data-label")); });
    });
  }

  // search and go-to-id: the page navigates (the CSP allows no form action)
  var searchBox = document.getElementById("search");
  function go(path) {
    window.location.href = path + (searchBox ? searchBox.getAttribute("data-token-query") : "");
  }
  function search() {
    var q = document.getElementById("search-q").value;
    var how = document.getElementById("search-how").value;
    go("/grid?mode=search&how=" + encodeURIComponent(how) + "&q=" + encodeURIComponent(q));
  }
  if (searchBox) {
    document.getElementById("search-go").addEventListener("click", search);
    document.getElementById("search-q").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); search(); }
    });
    document.getElementById("goto-id").addEventListener("keydown", function (ev) {
      var id = ev.target.value.trim();
      if (ev.key === "Enter" && id) { ev.preventDefault(); go("/grid?mode=item&item=" + encodeURIComponent(id)); }
    });
  }

  // type-to-filter the classes (for those past the keys): "/" focuses the box, Enter labels
  var filterBox = document.getElementById("class-filter");
  function visibleClasses() {
    return Array.prototype.filter.call(document.querySelectorAll("button.label"), function (b) {
      return !b.hidden;
    });
  }
  function visibleBoxes() {
    return labelBoxes().filter(function (b) { return !b.closest("label").hidden; });
  }
  if (filterBox) {
    filterBox.addEventListener("input", function () {
      var q = filterBox.value.trim().toLowerCase();
      document.querySelectorAll("button.label").forEach(function (b) {
        b.hidden = q !== "" && b.getAttribute("data-label").toLowerCase().indexOf(q) < 0;
      });
      labelBoxes().forEach(function (b) {
        b.closest("label").hidden = q !== "" && b.getAttribute("data-label").toLowerCase().indexOf(q) < 0;
      });
    });
    filterBox.addEventListener("keydown", function (ev) {
      if (multi) {  // Enter ticks (or unticks) the first class shown, then the filter clears
        var boxes = visibleBoxes();
        if (ev.key === "Enter" && boxes.length) {
          ev.preventDefault(); toggle(boxes[0]);
          filterBox.value = ""; filterBox.dispatchEvent(new Event("input"));
        }
        if (ev.key === "Escape") { filterBox.value = ""; filterBox.dispatchEvent(new Event("input")); filterBox.blur(); }
        return;
      }
      var shown = visibleClasses();
      if (ev.key === "Enter" && shown.length) { ev.preventDefault(); label(shown[0].getAttribute("data-label")); }
      if (ev.key === "Escape") { filterBox.value = ""; filterBox.dispatchEvent(new Event("input")); filterBox.blur(); }
    });
  }

  var fbEl = document.getElementById("feedback");
  var line = sessionStorage.getItem(FEEDBACK);
  if (line && fbEl) { fbEl.textContent = line; fbEl.setAttribute("data-state", "done"); }
  sessionStorage.removeItem(FEEDBACK);

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var tag = ev.target && ev.target.tagName;
    var typing = (tag === "INPUT" && ev.target.type !== "checkbox") || tag === "SELECT";
    if (typing) { return; }  // typing a name, a query, a filter (a ticked box is no typing)
    var k = ev.key.toLowerCase();
    if (k === "/" && filterBox) { ev.preventDefault(); filterBox.focus(); return; }
    var bound = k.length === 1 ? document.querySelector(
      'button.label[data-key="' + k + '"], button.grid-label[data-key="' + k + '"], ' +
      'input.label-box[data-key="' + k + '"]') : null;
    if (multi && k === "enter") {
      ev.preventDefault(); confirmSet();
    } else if (bound && bound.classList.contains("label-box")) {
      ev.preventDefault(); toggle(bound);
    } else if (bound && k !== "s" && k !== "n" && k !== "u" && k !== "z") {
      ev.preventDefault();
      if (bound.classList.contains("grid-label")) { gridLabel(bound.getAttribute("data-label")); }
      else { label(bound.getAttribute("data-label")); }
    } else if (grid) {  // the grid: only undo besides the classes
      if (k === "u" || k === "z") { ev.preventDefault(); undo(); }
    } else if (k === "s" || k === "arrowright") {
      ev.preventDefault(); skip();
    } else if (k === "n") {
      ev.preventDefault(); none();
    } else if (k === "u" || k === "z" || k === "backspace") {
      ev.preventDefault(); undo();
    }
  });
  var queued = pending();  // a label from before a reload that was never saved: send it first
  if (queued && queued.kind === "label") { run(queued); }
  document.body.setAttribute("data-ready", "1");
})();

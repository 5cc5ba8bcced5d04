/* The exam page: one question per screen, every change saved at once, a server-owned clock.
 * Unacknowledged changes live in localStorage and are replayed in order until the server
 * acknowledges them; acknowledged ones are removed at once. No front-end build step. */
(function () {
  "use strict";

  var paper = JSON.parse(document.getElementById("paper-data").textContent);
  var config = JSON.parse(document.getElementById("exam-config").textContent);
  var text = config.text;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var storageKey = "exam-pending-" + paper.attempt_id;
  var seqKey = "exam-seq-" + paper.attempt_id;

  var items = paper.items;
  var answers = {};
  var flags = {};
  Object.keys(paper.answers).forEach(function (k) { answers[k] = paper.answers[k]; });
  paper.flags.forEach(function (p) { flags[p] = true; });

  var pending = loadPending();
  var seq = Math.max(paper.last_seq, parseInt(localStorage.getItem(seqKey) || "0", 10));
  var current = 0;
  var inFlight = false;
  var offline = false;
  var locked = false;
  var retryDelay = 1000;
  var fontSize = 20;

  // Replay what this terminal changed but the server had not acknowledged.
  pending = pending.filter(function (c) { return c.seq > paper.last_seq; });
  pending.forEach(applyLocally);
  savePending();

  // --- clock: the server's figure, counted down on the monotonic clock ---------------
  var clock = { secondsLeft: paper.seconds_left, syncedAt: performance.now(), paused: paper.paused };
  function secondsLeft() {
    if (clock.paused) { return clock.secondsLeft; }
    var elapsed = (performance.now() - clock.syncedAt) / 1000;
    return Math.max(0, Math.floor(clock.secondsLeft - elapsed));
  }
  function syncClock(seconds, paused) {
    clock.secondsLeft = seconds; clock.syncedAt = performance.now(); clock.paused = !!paused;
    if (seconds > 0) { timeUp = false; }  // an extension given after the time was up
  }
  var announced = {};
  var timeUp = false;
  function renderTimer() {
    var s = secondsLeft();
    var el = document.getElementById("timer");
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    el.textContent = text.time_left + ": " + (h ? h + ":" : "") + pad(m) + ":" + pad(sec);
    el.classList.toggle("amber", s <= 300 && s > 60);
    el.classList.toggle("red", s <= 60);
    if (s <= 300 && !announced.five) { announced.five = true; announce(text.minutes_left_5); }
    if (s <= 60 && !announced.one) { announced.one = true; announce(text.minutes_left_1); }
    // Once at zero: the regular heartbeat then learns when the server has collected the
    // paper. (A heartbeat on every tick would be four requests a second from every terminal
    // of a room whose shift ends at once, for the whole grace period.)
    if (s === 0 && !timeUp && !locked && !clock.paused) { timeUp = true; showOverlay(text.time_up); heartbeat(); }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function announce(message) {
    var live = document.getElementById("save-state");
    live.setAttribute("aria-live", "assertive");
    live.textContent = message;
    setTimeout(function () { live.setAttribute("aria-live", "polite"); renderSaveState(); }, 4000);
  }

  // --- rendering ------------------------------------------------------------------
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function isAnswered(position) {
    var a = answers[position];
    if (a === null || a === undefined) { return false; }
    if (Array.isArray(a)) { return a.some(function (v) { return v !== "" && v !== null; }); }
    return true;
  }
  function render() {
    var item = items[current];
    document.getElementById("question-title").textContent =
      format(text.question_of, { k: current + 1, n: items.length });
    document.getElementById("question-counter").textContent = (current + 1) + " / " + items.length;
    document.getElementById("stem").innerHTML = item.stem_html;  // sanitised on the server
    renderOptions(item);
    renderBlanks(item);
    renderAudio(item);
    var flag = document.getElementById("flag");
    flag.setAttribute("aria-pressed", flags[item.position] ? "true" : "false");
    flag.classList.toggle("on", !!flags[item.position]);
    document.getElementById("prev").disabled = current === 0;
    document.getElementById("next").disabled = current === items.length - 1;
    renderPalette();
  }
  function renderOptions(item) {
    var box = document.getElementById("options");
    box.innerHTML = "";
    if (item.type === "fill_blank") { return; }
    box.setAttribute("role", item.type === "multiple_response" ? "group" : "radiogroup");
    var chosen = answers[item.position] || [];
    item.options.forEach(function (option, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "option";
      var selected = chosen.indexOf(index) !== -1;
      button.classList.toggle("selected", selected);
      button.setAttribute(item.type === "multiple_response" ? "aria-pressed" : "aria-checked", selected ? "true" : "false");
      if (item.type !== "multiple_response") { button.setAttribute("role", "radio"); }
      var letter = document.createElement("span");
      letter.className = "letter";
      letter.textContent = option.letter;
      var body = document.createElement("span");
      body.className = "option-text";
      body.innerHTML = option.html;  // sanitised on the server
      button.appendChild(letter);
      button.appendChild(body);
      button.addEventListener("click", function () { choose(index); });
      box.appendChild(button);
    });
  }
  // Listening items: the server counts plays (the part may limit them) before each play.
  function renderAudio(item) {
    var box = document.getElementById("audio");
    var player = document.getElementById("player");
    player.pause();
    player.removeAttribute("src");
    box.hidden = !(item.audio && item.audio.length);
    if (box.hidden) { return; }
    document.getElementById("listen-label").textContent = text.listen;
    var left = item.plays_left;
    document.getElementById("plays-left").textContent =
      left === null || left === undefined ? "" : (left > 0 ? format(text.plays_left, { n: left }) : text.no_plays_left);
    document.getElementById("listen").disabled = left === 0;
  }
  function listen() {
    var item = items[current];
    if (locked || !item.audio || !item.audio.length) { return; }
    post(config.plays_url + item.position).then(function (result) {
      if (result.status !== 200) {
        item.plays_left = 0;
        renderAudio(item);
        return;
      }
      item.plays_left = result.data.plays_left;
      renderAudio(item);
      var player = document.getElementById("player");
      player.src = item.audio[0];
      player.play();
    }, goOffline);
  }
  function renderBlanks(item) {
    var box = document.getElementById("blanks");
    box.innerHTML = "";
    if (item.type !== "fill_blank") { return; }
    var values = answers[item.position] || [];
    for (var i = 0; i < item.blanks; i++) {
      var label = document.createElement("label");
      label.textContent = format(text.blank, { k: i + 1 });
      var input = document.createElement("input");
      input.type = "text";
      input.className = "big-input blank-input";
      input.autocomplete = "off";
      input.spellcheck = false;
      input.value = values[i] || "";
      input.dataset.index = i;
      // Save when the candidate pauses typing or leaves the box; IME composition is left alone.
      input.addEventListener("input", function (event) {
        if (event.isComposing) { return; }
        scheduleBlankSave();
      });
      input.addEventListener("compositionend", scheduleBlankSave);
      input.addEventListener("change", saveBlanks);
      label.appendChild(input);
      box.appendChild(label);
    }
  }
  // One pending save for the blanks on screen; leaving the question saves at once and
  // cancels it, so a late timer never writes an empty answer over another question.
  var blankTimer = null;
  function scheduleBlankSave() {
    clearTimeout(blankTimer);
    blankTimer = setTimeout(saveBlanks, 600);
  }
  function saveBlanks() {
    clearTimeout(blankTimer);
    var item = items[current];
    if (item.type !== "fill_blank") { return; }
    var values = Array.prototype.map.call(document.querySelectorAll(".blank-input"), function (el) { return el.value; });
    var previous = JSON.stringify(answers[item.position] || []);
    var empty = values.every(function (v) { return v.trim() === ""; });
    if (JSON.stringify(values) === previous || (empty && !isAnswered(item.position))) { return; }
    record("answer", item.position, empty ? null : values);
    renderPalette();
  }
  function renderPalette() {
    // The cells are built once, then updated in place: a blank saved when its box loses focus
    // (on mousedown on a cell) must not replace the cell before mouseup, or the click is lost.
    var box = document.getElementById("palette");
    if (box.children.length !== items.length) {
      box.innerHTML = "";
      items.forEach(function (item, index) {
        var cell = document.createElement("button");
        cell.type = "button";
        cell.className = "cell";
        cell.addEventListener("click", function () { go(index); });
        box.appendChild(cell);
      });
    }
    items.forEach(function (item, index) {
      var cell = box.children[index];
      var answered = isAnswered(item.position);
      var flagged = !!flags[item.position];
      cell.classList.toggle("answered", answered);
      cell.classList.toggle("flagged", flagged);
      cell.classList.toggle("current", index === current);
      cell.textContent = item.position + (flagged ? " ⚑" : answered ? " ✓" : "");
      cell.setAttribute("aria-label", item.position + (answered ? " ✓" : "") + (flagged ? " ⚑" : ""));
      if (index === current) { cell.setAttribute("aria-current", "true"); }
      else { cell.removeAttribute("aria-current"); }
    });
  }

  // --- changes ------------------------------------------------------------------------
  function choose(index) {
    if (locked) { return; }
    var item = items[current];
    var chosen = (answers[item.position] || []).slice();
    if (item.type === "multiple_response") {
      var at = chosen.indexOf(index);
      if (at === -1) { chosen.push(index); } else { chosen.splice(at, 1); }
      chosen.sort();
    } else {
      chosen = [index];
    }
    record("answer", item.position, chosen.length ? chosen : null);
    render();
  }
  function toggleFlag() {
    if (locked) { return; }
    var item = items[current];
    record("flag", item.position, !flags[item.position]);
    render();
  }
  function applyLocally(change) {
    if (change.kind === "flag") { flags[change.position] = change.value; }
    else { answers[change.position] = change.value; }
  }
  function record(kind, position, value) {
    seq += 1;
    var change = { seq: seq, kind: kind, position: position, value: value };
    applyLocally(change);
    pending.push(change);
    savePending();
    localStorage.setItem(seqKey, String(seq));
    renderSaveState();
    flush();
  }
  function loadPending() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "[]"); } catch (e) { return []; }
  }
  function savePending() {
    if (pending.length) { localStorage.setItem(storageKey, JSON.stringify(pending)); }
    else { localStorage.removeItem(storageKey); }
  }
  function clearStorage() {
    Object.keys(localStorage).forEach(function (k) { if (k.indexOf("exam-") === 0) { localStorage.removeItem(k); } });
    pending = [];
  }
  function renderSaveState() {
    var el = document.getElementById("save-state");
    el.classList.remove("ok", "busy", "down");
    if (offline) { el.textContent = text.offline; el.classList.add("down"); }
    else if (pending.length) { el.textContent = text.saving; el.classList.add("busy"); }
    else { el.textContent = text.saved; el.classList.add("ok"); }
  }

  // --- talking to the server -----------------------------------------------------------
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "X-Attempt-Token": paper.token },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }
  function flush() {
    if (inFlight || locked || !pending.length) { return; }
    inFlight = true;
    var batch = pending.slice(0, 200);
    post(config.changes_url, { changes: batch }).then(function (result) {
      inFlight = false;
      if (result.status === 200 && result.data.ok) {
        online();
        var acked = result.data.acked_seq;
        pending = pending.filter(function (c) { return c.seq > acked; });
        savePending();
        syncClock(result.data.seconds_left, false);
        renderSaveState();
        if (pending.length) { flush(); }
        return;
      }
      handleRefusal(result);
    }, function () {
      inFlight = false;
      goOffline();
    });
  }
  function handleRefusal(result) {
    var error = result.data && result.data.error;
    if (error === "attempt_closed") { finish(text.closed); }
    else if (error === "terminal_replaced") { lock(text.replaced); }
    else if (error === "room_paused") { syncClock(clock.secondsLeft, true); showOverlay(text.paused); retryLater(); }
    else if (result.status === 401 || result.status === 400 && !error) { lock(text.signed_out); }
    else if (error === "bad_change") { pending = []; savePending(); showOverlay(text.error); }
    else { goOffline(); }
  }
  function online() {
    if (offline) { offline = false; retryDelay = 1000; }
    hideOverlay();
  }
  function goOffline() {
    offline = true;
    renderSaveState();
    retryLater();
  }
  var retryTimer = null;
  function retryLater() {
    if (retryTimer) { return; }  // one retry pending at a time, however many answers wait
    retryTimer = setTimeout(function () { retryTimer = null; heartbeat(); flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 8000);
  }
  function heartbeat() {
    if (locked) { return; }
    post(config.heartbeat_url).then(function (result) {
      if (result.status !== 200) { handleRefusal(result); return; }
      var data = result.data;
      if (offline) { offline = false; retryDelay = 1000; }
      syncClock(data.seconds_left, data.paused);
      if (data.replaced) { lock(text.replaced); return; }
      if (data.state !== "in_progress") { finish(text.closed); return; }
      if (data.paused) { showOverlay(text.paused); }
      else { hideOverlay(); }
      renderSaveState();
      flush();
    }, goOffline);
  }
  function finish(message) {
    locked = true;
    clearStorage();
    showOverlay(message);
    setTimeout(function () { window.location.assign(config.wait_url); }, 2500);
  }
  function lock(message) { locked = true; showOverlay(message); }
  function showOverlay(message) {
    document.getElementById("overlay-text").textContent = message;
    document.getElementById("overlay").hidden = false;
  }
  // After the time is up the overlay stays until the server has collected the paper.
  function hideOverlay() { if (!locked && !timeUp) { document.getElementById("overlay").hidden = true; } }

  // --- navigation and keyboard ---------------------------------------------------------
  function go(index) {
    if (index < 0 || index >= items.length) { return; }
    if (items[current].type === "fill_blank") { saveBlanks(); }
    current = index;
    render();
    document.getElementById("stem").focus && document.getElementById("question-title").focus();
  }
  document.getElementById("prev").addEventListener("click", function () { go(current - 1); });
  document.getElementById("next").addEventListener("click", function () { go(current + 1); });
  document.getElementById("flag").addEventListener("click", toggleFlag);
  document.getElementById("listen").addEventListener("click", listen);
  document.getElementById("review-link").addEventListener("click", function (event) {
    if (items[current].type === "fill_blank") { saveBlanks(); }
    if (pending.length) { event.preventDefault(); flush(); waitThenReview(); }
  });
  function waitThenReview() {
    if (!pending.length) { window.location.assign(config.review_url); return; }
    setTimeout(waitThenReview, 300);
  }
  document.getElementById("font-smaller").addEventListener("click", function () { setFont(fontSize - 2); });
  document.getElementById("font-larger").addEventListener("click", function () { setFont(fontSize + 2); });
  function setFont(size) {
    fontSize = Math.max(16, Math.min(32, size));
    document.querySelector(".question-pane").style.fontSize = fontSize + "px";
  }
  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "INPUT" || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    var item = items[current];
    if (key === "ArrowRight") { go(current + 1); event.preventDefault(); return; }
    if (key === "ArrowLeft") { go(current - 1); event.preventDefault(); return; }
    if (item.type === "fill_blank") { return; }
    var index = "ABCDEFGH".indexOf(key.toUpperCase());
    if (index === -1 && /^[1-8]$/.test(key)) { index = parseInt(key, 10) - 1; }
    if (index >= 0 && index < item.options.length) { choose(index); event.preventDefault(); }
  });
  window.addEventListener("online", function () { heartbeat(); flush(); });

  document.getElementById("question-title").tabIndex = -1;
  render();
  renderSaveState();
  renderTimer();
  setInterval(renderTimer, 250);
  setInterval(heartbeat, config.heartbeat_seconds * 1000);
  if (paper.paused) { showOverlay(text.paused); }
  flush();
})();

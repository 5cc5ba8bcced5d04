/* The live grid: refresh every room's tiles every few seconds without reloading the page.
 * Only tiles whose data changed are touched, so a 200-seat room stays smooth. */
(function () {
  "use strict";
  var REFRESH_MS = 3000;
  var textEl = document.getElementById("grid-text");
  if (!textEl) { return; }
  var text = JSON.parse(textEl.textContent);

  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function setField(tile, name, value) {
    var el = tile.querySelector('[data-f="' + name + '"]');
    if (!el) { return; }
    if (value === null || value === undefined || value === "") {
      el.hidden = true;
    } else {
      if (el.textContent !== String(value)) { el.textContent = value; }
      el.hidden = false;
    }
  }

  function paint(tile, t) {
    var classes = "tile state-" + t.state;
    if (t.stale) { classes += " stale"; }
    if (t.present === false) { classes += " absent"; }
    if (tile.className !== classes) { tile.className = classes; }
    setField(tile, "seat", t.seat === null ? "—" : t.seat);
    setField(tile, "state", text.states[t.state] || t.state);
    setField(tile, "answered", t.total ? t.answered + "/" + t.total : null);
    setField(tile, "time", t.seconds_left === null ? null : clock(t.seconds_left));
    setField(tile, "contact", t.contact_age === null ? null : text.contact.replace("{s}", t.contact_age));
    setField(tile, "terminal", t.terminal ? text.computer + " " + t.terminal : null);
    var flags = [];
    if (t.present === false) { flags.push(text.absent); }
    if (t.retake_pending) { flags.push(text.retake); }
    if (t.move_approved) { flags.push(text.moved); }
    var flagEl = tile.querySelector('[data-f="flags"]');
    if (flagEl && flagEl.textContent !== flags.join(" ")) { flagEl.textContent = flags.join(" "); }
  }

  function watch(room) {
    var tiles = {};
    var last = {};
    Array.prototype.forEach.call(room.querySelectorAll(".tile[data-candidate]"), function (tile) {
      tiles[tile.dataset.candidate] = tile;
    });
    var badge = room.querySelector("[data-room-state]");
    var status = room.querySelector("[data-grid-status]");

    function refresh() {
      if (document.visibilityState === "hidden") { return schedule(); }
      fetch(room.dataset.gridUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          if (badge) { badge.textContent = text.rooms[data.state] || data.state; }
          room.dataset.roomState = data.state;
          data.tiles.forEach(function (t) {
            var tile = tiles[t.candidate_id];
            if (!tile) { return; }
            var key = JSON.stringify(t);
            if (last[t.candidate_id] === key) { return; }
            last[t.candidate_id] = key;
            paint(tile, t);
          });
          if (status) { status.textContent = ""; }
        })
        .catch(function () { if (status) { status.textContent = text.offline; } })
        .then(schedule);
    }
    function schedule() { setTimeout(refresh, REFRESH_MS); }
    schedule();
  }

  Array.prototype.forEach.call(document.querySelectorAll(".room[data-grid-url]"), watch);
})();

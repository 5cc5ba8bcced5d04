/* The waiting room: poll the room's state and enable the start button when it runs.
 * No exam is in progress while this page shows, so nothing of an exam stays stored. */
(function () {
  "use strict";
  Object.keys(localStorage).forEach(function (k) { if (k.indexOf("exam-") === 0) { localStorage.removeItem(k); } });
  var box = document.getElementById("room-state");
  if (!box) { return; }
  var button = document.getElementById("start-button");
  function show(state) {
    box.dataset.state = state;
    Array.prototype.forEach.call(box.querySelectorAll(".wait-msg"), function (p) {
      p.hidden = p.dataset.when !== state;
    });
    if (!button) { return; }
    // Under the shift's clock the session code starts a waiting room itself.
    button.disabled = button.hasAttribute("data-code-opens-room")
      ? state === "paused" || state === "closed"
      : state !== "running";
  }
  show(box.dataset.state);
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data.room_state); }, function () {})
      .then(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
})();

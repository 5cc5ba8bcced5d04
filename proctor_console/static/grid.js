/* Refresh each room's tiles every few seconds without reloading the page. */
(function () {
  "use strict";
  var text = JSON.parse(document.getElementById("grid-text").textContent);
  function refresh(room) {
    fetch(room.dataset.gridUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        room.querySelector("[data-room-state]").textContent = text.rooms[data.state] || data.state;
        data.tiles.forEach(function (t) {
          var tile = room.querySelector('[data-candidate="' + t.candidate_id + '"]');
          if (!tile) { return; }
          tile.className = "tile " + t.state;
          var state = tile.querySelector(".tile-state");
          if (state) { state.textContent = text.states[t.state] || t.state; }
          var answered = tile.querySelector(".tile-answered");
          if (answered) { answered.textContent = t.answered + "/" + t.total; }
          else if (t.total) {
            var span = document.createElement("span");
            span.className = "tile-answered";
            span.textContent = t.answered + "/" + t.total;
            state.after(document.createTextNode(" · "), span);
          }
        });
      }, function () {})
      .then(function () { setTimeout(function () { refresh(room); }, 4000); });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".room[data-grid-url]"), function (room) {
    setTimeout(function () { refresh(room); }, 4000);
  });
})();

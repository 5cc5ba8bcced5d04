// Small helpers for the bank's pages; every page also works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Show only the parts of the item form that belong to the chosen type.
  var type = document.getElementById("item_type");
  function showParts() {
    var parts = document.querySelectorAll(".type-part");
    Array.prototype.forEach.call(parts, function (part) {
      var types = (part.getAttribute("data-types") || "").split(" ");
      part.hidden = type && types.indexOf(type.value) === -1;
    });
  }
  if (type) { type.addEventListener("change", showParts); showParts(); }

  // Changing the subject of a new question reloads the form with that subject's topics.
  var subject = document.querySelector("#item-form select[data-reload]");
  if (subject) {
    subject.addEventListener("change", function () {
      window.location.search = "?subject=" + encodeURIComponent(subject.value);
    });
  }

  // Filters: changing the subject refreshes the topic list.
  var filterSubject = document.querySelector("#filters select[name=subject]");
  if (filterSubject) {
    filterSubject.addEventListener("change", function () {
      var topic = document.querySelector("#filters select[name=topic]");
      if (topic) { topic.value = ""; }
      document.getElementById("filters").submit();
    });
  }

  var all = document.getElementById("check-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll("input[name=item_ids]");
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
    });
  }

  var print = document.getElementById("print-button");
  if (print) { print.addEventListener("click", function () { window.print(); }); }

  // The preview behaves like the candidate's page: choosing marks the option.
  var options = document.querySelectorAll(".preview-layout .option");
  Array.prototype.forEach.call(options, function (button) {
    button.addEventListener("click", function () {
      var multiple = button.hasAttribute("aria-pressed");
      if (!multiple) {
        Array.prototype.forEach.call(options, function (other) {
          other.classList.remove("selected");
          other.setAttribute("aria-checked", "false");
        });
      }
      var on = !button.classList.contains("selected");
      button.classList.toggle("selected", on);
      button.setAttribute(multiple ? "aria-pressed" : "aria-checked", on ? "true" : "false");
    });
  });
})();

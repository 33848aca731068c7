/* Progressive enhancement of the availability calendar (the page works without it):
   - the shortcut buttons tick boxes in the page instead of submitting (the user then saves);
   - the summary counts what is ticked, and an "unsaved" badge shows until the month is saved;
   - leaving the page with unsaved changes asks first. */
(function () {
  "use strict";
  var form = document.getElementById("calendar-form");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=slots]"));
  var summary = document.getElementById("calendar-summary");
  var unsaved = document.getElementById("unsaved");
  var dirty = false;

  function editable(box) { return !box.disabled; }

  function refresh() {
    var declared = boxes.filter(function (b) { return b.checked; }).length;
    var booked = form.querySelectorAll(".slot.booked").length;
    var words = summary.dataset;
    summary.textContent = declared + " " + (declared > 1 ? words.declaredMany : words.declaredOne) + ", " +
      booked + " " + (booked > 1 ? words.bookedMany : words.bookedOne) + (dirty ? " " + words.unsaved : "");
    boxes.forEach(function (b) { b.parentNode.classList.toggle("declared", b.checked); });
    if (unsaved) { unsaved.hidden = !dirty; }
  }

  function tick(predicate) {
    var changed = 0;
    boxes.forEach(function (b) {
      if (editable(b) && predicate(b) && !b.checked) { b.checked = true; changed += 1; }
    });
    dirty = dirty || changed > 0;
    refresh();
    return changed;
  }

  boxes.forEach(function (b) {
    b.addEventListener("change", function () { dirty = true; refresh(); });
  });

  var days = form.querySelector("[name=shortcut_days]");
  var slots = form.querySelector("[name=shortcut_slots]");

  function matchesDays(box, choice) {
    var weekday = Number(box.dataset.weekday);
    if (choice === "all") { return true; }
    if (choice === "weekdays") { return weekday < 5; }
    if (choice === "weekends") { return weekday >= 5; }
    if (choice.indexOf("wd") === 0) { return weekday === Number(choice.slice(2)); }
    if (choice.charAt(0) === "w") { return box.dataset.week === choice.slice(1); }
    return false;
  }

  form.querySelectorAll("button[data-js-label]").forEach(function (button) {
    button.textContent = button.dataset.jsLabel;
    button.type = "button";
    button.addEventListener("click", function () {
      if (button.value === "shortcut") {
        var choice = days.value, slot = slots.value;
        tick(function (b) { return matchesDays(b, choice) && slot.indexOf(b.dataset.slot) !== -1; });
      } else if (button.value === "copy") {
        var wanted = (form.dataset.copy || "").split(" ");
        tick(function (b) { return wanted.indexOf(b.value) !== -1; });
      } else if (button.value === "clear") {
        boxes.forEach(function (b) { if (editable(b) && b.checked) { b.checked = false; dirty = true; } });
        refresh();
      }
    });
  });

  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();

/* Progressive enhancement of the forms pairing a profession and skills (the server already offers
   only the chosen profession's skills and refuses the others): when the profession select changes,
   the other professions' skills are hidden and disabled (a disabled box is not sent, and keeps its
   tick if the profession is chosen again). With no profession chosen, every skill shows. */
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[type=checkbox][data-profession]"));
  if (!boxes.length) { return; }
  var form = boxes[0].form;
  var select = form && form.querySelector("select[name=profession]");
  if (!select) { return; }
  var hint = form.querySelector("[data-skills-hint]");

  function filter() {
    var chosen = select.value;
    var shown = 0;
    boxes.forEach(function (box) {
      var mine = !chosen || box.dataset.profession === chosen;
      var row = box.closest("label") || box.parentNode;
      row.style.display = mine ? "" : "none";  // label.inline sets a display that would beat [hidden]
      box.disabled = !mine;
      if (mine) { shown += 1; }
    });
    if (hint) { hint.hidden = !chosen || shown > 0; }
  }

  select.addEventListener("change", filter);
  filter();
}());

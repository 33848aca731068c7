// Commune suggestions for the inputs marked data-commune-search, from the search URL the datalist
// carries (a static file: the Content-Security-Policy allows no inline script).
(function () {
  var list = document.getElementById("commune-options");
  if (!list) { return; }
  var url = list.dataset.searchUrl;
  document.querySelectorAll("input[data-commune-search]").forEach(function (input) {
    var timer;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { return; }
      timer = setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (c) {
              var option = document.createElement("option");
              option.value = c.label;
              list.appendChild(option);
            });
          });
      }, 200);
    });
  });
})();

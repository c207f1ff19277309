// winfleet report page: status filter, cause filter, search and sortable
// columns. The page is complete without this script: every host row is
// visible and the controls stay hidden.
(function () {
  "use strict";
  var table = document.getElementById("hosts-table");
  var controls = document.getElementById("controls");
  if (!table || !controls) {
    return;
  }
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  var bodies = Array.prototype.slice.call(table.tBodies);
  var texts = bodies.map(function (b) {
    return (b.rows[0].textContent + " " + (b.getAttribute("data-k") || "")).toLowerCase();
  });
  var buttons = controls.querySelectorAll("#f-status button");
  var cause = document.getElementById("f-cause");
  var search = document.getElementById("f-q");
  var shown = document.getElementById("f-shown");
  var status = "";

  function visible(b, i, words) {
    if (status === "attention" ? b.getAttribute("data-a") !== "1" : status !== "" && b.getAttribute("data-s") !== status) {
      return false;
    }
    if (cause.value !== "" && b.getAttribute("data-c") !== cause.value) {
      return false;
    }
    return words.every(function (w) { return texts[i].indexOf(w) >= 0; });
  }

  function update() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    bodies.forEach(function (b, i) {
      var v = visible(b, i, words);
      b.hidden = !v;
      n += v ? 1 : 0;
    });
    each(buttons, function (x) { x.setAttribute("aria-pressed", String(x.getAttribute("data-f") === status)); });
    shown.textContent = "showing " + n + " of " + bodies.length + " hosts";
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-f],[data-fc]");
    if (!t) {
      return;
    }
    if (t.hasAttribute("data-fc")) {
      status = "";
      cause.value = t.getAttribute("data-fc");
    } else {
      status = t.getAttribute("data-f");
      if (t.tagName === "A" || status === "") {
        cause.value = "";
      }
    }
    update();
    if (t.tagName === "A") {
      e.preventDefault();
      controls.scrollIntoView();
    }
  });
  cause.addEventListener("change", update);
  search.addEventListener("input", update);

  var heads = table.tHead.rows[0].cells;
  each(heads, function (th, col) {
    if (!th.hasAttribute("data-sort")) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      each(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var num = th.getAttribute("data-sort") === "num";
      var keyed = bodies.map(function (b, i) {
        var cell = b.rows[0].cells[col];
        var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
        return {b: b, i: i, k: num ? parseFloat(v) : v.toLowerCase()};
      });
      keyed.sort(function (x, y) {
        var r = x.k < y.k ? -1 : (x.k > y.k ? 1 : 0);
        return (asc ? r : -r) || x.i - y.i;
      });
      keyed.forEach(function (e) { table.appendChild(e.b); });
    });
  });

  controls.hidden = false;
  update();
}());

// Councillors Online: sortable and filterable tables, and search. Progressive enhancement:
// every page works without this file; it adds controls, never content.
"use strict";

(function () {
  // Sortable tables: a button in each header cell with data-sort ("text" or "num").
  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell ? (cell.getAttribute("data-value") || cell.textContent) : "";
    if (kind === "num") {
      var n = parseFloat(raw.replace(/[^0-9.\-]/g, ""));
      return isNaN(n) ? -Infinity : n;
    }
    return raw.trim().toLowerCase();
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) {
          if (other.hasAttribute("aria-sort")) other.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  // Filters: <select data-filter="nation" data-table="id"> hides rows whose data-nation differs.
  function makeFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    var selects = form.querySelectorAll("select[data-filter]");
    var status = form.querySelector("[role=status]");
    function apply() {
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var ok = Array.prototype.every.call(selects, function (select) {
          return !select.value || row.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
        });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (status) status.textContent = shown + " shown";
    }
    Array.prototype.forEach.call(selects, function (select) { select.addEventListener("change", apply); });
    form.hidden = false;
    apply();
  }

  // Search: the index is split by the first two letters of each word (search/<xx>.json);
  // the shards of the query's words are loaded, and entries matching every word are shown.
  function makeSearch(form) {
    var input = form.querySelector("input[type=search]");
    var list = document.getElementById(form.getAttribute("data-results"));
    var status = form.querySelector("[role=status]");
    var root = form.getAttribute("data-root") || "";
    var shards = {};
    var keys = null;  // the shards that exist (search/keys.json)
    function words(text) {
      return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean);
    }
    function json(path) {
      return fetch(root + path).then(function (r) { if (!r.ok) throw new Error(path); return r.json(); });
    }
    function load(key) {
      if (!keys) keys = json("search/keys.json");
      return keys.then(function (known) {
        if (known.indexOf(key) < 0) return [];
        if (!shards[key]) shards[key] = json("search/" + key + ".json");
        return shards[key];
      });
    }
    function show(entries, query) {
      list.textContent = "";
      var terms = words(query);
      var seen = {};
      var found = entries.filter(function (e) {
        if (seen[e[3]]) return false;
        var hay = words(e[0] + " " + e[1] + " " + e[2]);
        var ok = terms.every(function (t) { return hay.some(function (w) { return w.indexOf(t) === 0; }); });
        if (ok) seen[e[3]] = true;
        return ok;
      }).slice(0, 50);
      found.forEach(function (e) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + e[3];
        a.textContent = e[0];
        li.appendChild(a);
        li.appendChild(document.createTextNode(" " + [e[1], e[2]].filter(Boolean).join(", ")));
        list.appendChild(li);
      });
      status.textContent = found.length ? found.length + (found.length === 50 ? "+" : "") + " found" : "Nothing found";
    }
    function run() {
      var query = input.value;
      // Words too common to index (cllr/search.py) have small or no shards: loading them costs little.
      var keys = words(query).filter(function (w) { return w.length > 1; }).map(function (w) { return w.slice(0, 2); });
      if (!keys.length) { list.textContent = ""; status.textContent = query ? "Type at least two letters of a name, ward or council." : ""; return; }
      Promise.all(keys.map(load)).then(function (loaded) {
        if (input.value === query) show([].concat.apply([], loaded), query);
      }).catch(function () { status.textContent = "Search is not available here; use the A to Z lists."; });
    }
    var timer;
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    form.hidden = false;
    if (input.value) run();
  }

  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  document.querySelectorAll("form[data-table]").forEach(makeFilters);
  document.querySelectorAll("form[data-results]").forEach(makeSearch);
})();

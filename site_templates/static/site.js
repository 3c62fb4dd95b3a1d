// Councillors Online: sortable and filterable tables, search and the postcode finder. Progressive enhancement:
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
    // Accounts by identity (search/accounts/<hh>.json, filed by static/handles.js's identityShard).
    var accountShards = {};
    var accountKeys = null;
    function accounts(query) {
      if (typeof CllrHandles === "undefined" || !/[@.\/]/.test(query)) return Promise.resolve([]);
      var identities = CllrHandles.candidates(query);
      if (!accountKeys) accountKeys = json("search/accounts/keys.json");
      return accountKeys.then(function (known) {
        var wanted = identities.map(CllrHandles.identityShard).filter(function (k, i, all) {
          return known.indexOf(k) >= 0 && all.indexOf(k) === i;
        });
        return Promise.all(wanted.map(function (k) {
          if (!accountShards[k]) accountShards[k] = json("search/accounts/" + k + ".json");
          return accountShards[k];
        }));
      }).then(function (loaded) {
        return [].concat.apply([], loaded).filter(function (e) { return identities.indexOf(e[0]) >= 0; });
      });
    }
    function show(entries, byAccount, query) {
      list.textContent = "";
      var terms = words(query);
      var seen = {};
      var found = byAccount.filter(function (e) {
        if (seen[e[4] + e[5]]) return false;
        seen[e[4] + e[5]] = seen[e[4]] = true;
        return true;
      }).map(function (e) { return [e[1], e[2], e[3], e[4], e[5], e[6]]; });
      found = found.concat(entries.filter(function (e) {
        if (!terms.length || seen[e[3]]) return false;
        var hay = words(e[0] + " " + e[1] + " " + e[2]);
        var ok = terms.every(function (t) { return hay.some(function (w) { return w.indexOf(t) === 0; }); });
        if (ok) seen[e[3]] = true;
        return ok;
      })).slice(0, 50);
      found.forEach(function (e) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + e[3];
        a.textContent = e[0];
        li.appendChild(a);
        if (e[4]) {  // found by one of their accounts: say which
          var account = document.createElement("span");
          account.className = "account";
          account.textContent = " " + e[4] + (e[5] ? " (" + e[5] + ")" : "");
          li.appendChild(account);
        }
        li.appendChild(document.createTextNode(" " + [e[1], e[2]].filter(Boolean).join(", ")));
        list.appendChild(li);
      });
      status.textContent = found.length ? found.length + (found.length === 50 ? "+" : "") + " found" : "Nothing found";
    }
    function run() {
      var query = input.value;
      // Words too common to index (cllr/search.py) have small or no shards: loading them costs little.
      var keys = words(query).filter(function (w) { return w.length > 1; }).map(function (w) { return w.slice(0, 2); });
      if (!keys.length) { list.textContent = ""; status.textContent = query ? "Type at least two letters of a name, ward, council or account." : ""; return; }
      Promise.all([Promise.all(keys.map(load)), accounts(query)]).then(function (loaded) {
        if (input.value === query) show([].concat.apply([], loaded[0]), loaded[1], query);
      }).catch(function () { status.textContent = "Search is not available here; use the A to Z lists."; });
    }
    var timer;
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    form.hidden = false;
    if (input.value) run();
  }

  // Postcode finder: postcodes/<OUTWARD>.json holds every postcode of one outward code
  // (cllr/postcode_shards.py); the councillors of each place the postcode lies in are shown.
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"];
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function link(href, text, external) {
    var a = el("a", text);
    a.href = href;
    if (external) a.rel = "nofollow noopener noreferrer";
    return a;
  }
  function within(codes, inward) {  // codes: inward codes, three characters each
    for (var i = 0; i < codes.length; i += 3) if (codes.substr(i, 3) === inward) return i / 3;
    return -1;
  }

  function makePostcodeFinder(form) {
    var input = form.querySelector("input");
    var status = form.querySelector("[role=status]");
    var results = document.getElementById(form.getAttribute("data-results"));
    var base = form.getAttribute("data-postcodes");
    var root = form.getAttribute("data-root") || "";
    var days = form.getAttribute("data-active-days");
    var example = form.getAttribute("data-example");  // a postcode of this site's own directory
    var shards = {};
    var known = null;  // the outward codes there are (postcodes/index.json)

    function say(text) { status.textContent = text; }
    function json(path) {
      return fetch(base + path).then(function (r) { if (!r.ok) throw new Error(path); return r.json(); });
    }
    function shard(outward) {
      if (!known) known = json("index.json");
      return known.then(function (outwards) {
        if (outwards.indexOf(outward) < 0) return null;
        if (!shards[outward]) shards[outward] = json(encodeURIComponent(outward) + ".json");
        return shards[outward];
      });
    }
    function person(p) {
      var li = el("li");
      li.appendChild(link(root + p[1], p[0])).className = "name";
      if (p[2]) li.appendChild(el("span", p[2], "party"));
      if (p[5].length) {
        var accounts = el("span", "", "accounts");
        p[5].forEach(function (a) {
          var text = a[0] + ": " + a[2];
          var ok = /^https?:\/\//.test(a[1]);
          accounts.appendChild(ok ? link(a[1], text, true) : el("span", text));
          if (a[3]) accounts.appendChild(el("small", " (" + a[3] + ")", "gone"));  // gone or moved, as the pages say
          accounts.appendChild(document.createTextNode(" "));
        });
        li.appendChild(accounts);
      }
      li.appendChild(el("span", p[4] ? p[3] + " posts in " + days + " days" : p[5].length ? "no posts in " + days + " days" : "no known accounts", "activity"));
      return li;
    }
    function area(a) {
      var section = el("section", "", "place");
      var heading = el("h3");
      var label = a.name + (a.kind === "division" ? " division" : " ward") + ", " + a.council;
      heading.appendChild(a.href ? link(root + a.href, label) : document.createTextNode(label));
      section.appendChild(heading);
      if (!a.people) {
        section.appendChild(el("p", a.href ? "We cannot yet say which of the council's councillors represent this " + a.kind + "; its page lists them all." : "This council is not in the directory.", "meta"));
      } else if (!a.people.length) {
        section.appendChild(el("p", "No councillors are listed for this " + a.kind + ".", "meta"));
      } else {
        var list = el("ul", "", "people");
        a.people.forEach(function (p) { list.appendChild(person(p)); });
        section.appendChild(list);
      }
      return section;
    }
    function show(code, data) {
      results.textContent = "";
      var outward = code.split(" ")[0], inward = code.split(" ")[1];
      var found = [];
      if (data) data.live.forEach(function (codes, i) { if (within(codes, inward) >= 0) found.push(data.places[i]); });
      if (!found.length) {
        var gone = data ? within(data.retired, inward) : -1;
        if (gone >= 0) {
          var month = data.retired_on.substr(gone * 6, 6);
          say(code + " is no longer in use: it was retired in " + MONTHS[parseInt(month.slice(4), 10) - 1] + " " + month.slice(0, 4) + ". Try the postcode in use now, or choose your council from the list.");
        } else {
          say("We do not know the postcode " + code + ". Check it, or choose your council from the list.");
        }
        return;
      }
      var shown = [], people = 0;
      ["ward", "division"].forEach(function (kind, column) {
        found.forEach(function (place) {
          var index = place[column];
          if (index === null || shown.indexOf(index) >= 0) return;
          shown.push(index);
        });
      });
      var heading = el("h2", "Councillors for " + code);
      heading.id = "postcode-heading";
      results.appendChild(heading);
      var wards = found.map(function (place) { return place[0]; }).filter(function (w, i, all) { return all.indexOf(w) === i; });
      if (wards.length > 1) results.appendChild(el("p", "The addresses of " + code + " lie in " + wards.length + " different wards: each is shown.", "meta"));
      shown.forEach(function (index) {
        var a = data.areas[index];
        people += a.people ? a.people.length : 0;
        results.appendChild(area(a));
      });
      say(code + ": " + people + " councillor" + (people === 1 ? "" : "s") + " in " + shown.length + " area" + (shown.length === 1 ? "" : "s") + ", listed below.");
    }
    function run() {
      var raw = input.value.toUpperCase().replace(/[^A-Z0-9]/g, "");
      results.textContent = "";
      if (!raw) { say("Type a postcode" + (example ? ", for example " + example : "") + "."); return; }
      if (!/^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$/.test(raw)) {
        say("“" + input.value.trim() + "” is not a postcode. A postcode looks like " + (example || "SW1A 1AA") + ".");
        return;
      }
      var code = raw.slice(0, -3) + " " + raw.slice(-3);
      say("Looking up " + code + "…");
      shard(raw.slice(0, -3)).then(function (data) {
        show(code, data);
      }).catch(function () {
        say("The postcode finder cannot load its data here; choose your council from the list instead.");
      });
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    form.hidden = false;
  }

  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  document.querySelectorAll("form[data-table]").forEach(makeFilters);
  document.querySelectorAll("form[data-results]:not([data-postcodes])").forEach(makeSearch);
  document.querySelectorAll("form[data-postcodes]").forEach(makePostcodeFinder);
})();

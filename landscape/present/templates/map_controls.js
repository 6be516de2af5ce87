/* Title search and time filter of a landscape map (landscape/maps.py, map.html.j2).
   Everything is read from the plot already on the page; nothing is fetched. Titles in the plot are
   HTML-escaped (paper text is untrusted) and are only ever compared as text here, never inserted
   into the page. */
(function () {
  "use strict";
  if (window.landscapeMapInit) {
    return;
  }

  var ENTITIES = { "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#37;": "%", "&amp;": "&" };

  // An escaped hover title back to the words a reader sees (one pass, so "&amp;lt;" stays "&lt;").
  function plain(text) {
    return String(text)
      .replace(/<br>/g, " ")
      .replace(/&(lt|gt|quot|#x27|#37|amp);/g, function (entity) { return ENTITIES[entity]; });
  }

  // "2023", "2023-09" or "2023-09-14" -> [first month, last month] as year * 12 + month index.
  function span(value) {
    var s = String(value);
    var year = parseInt(s.slice(0, 4), 10);
    if (!(year > 0) || (s.length > 4 && s.charAt(4) !== "-")) {
      return null;
    }
    if (s.length >= 7) {
      var month = year * 12 + parseInt(s.slice(5, 7), 10) - 1;
      return [month, month];
    }
    return [year * 12, year * 12 + 11];
  }

  function monthLabel(key) {
    var month = (key % 12) + 1;
    return Math.floor(key / 12) + "-" + (month < 10 ? "0" : "") + month;
  }

  function matchesAll(words, terms) {
    for (var t = 0; t < terms.length; t++) {
      if (words.indexOf(terms[t]) < 0) {
        return false;
      }
    }
    return true;
  }

  window.landscapeMapInit = function (id) {
    var gd = document.getElementById(id);
    var meta = gd && gd.layout && gd.layout.meta && gd.layout.meta.landscape_map;
    if (!meta || gd.landscapeMapReady) {
      return;
    }
    var Plotly = window.Plotly;
    var search = document.getElementById(id + "-search");
    var from = document.getElementById(id + "-from");
    var to = document.getElementById(id + "-to");
    var rangeOut = document.getElementById(id + "-range");
    var matchesOut = document.getElementById(id + "-matches");
    var shownOut = document.getElementById(id + "-shown");
    var timeBox = document.getElementById(id + "-time");

    var full = {};
    gd._fullData.forEach(function (trace) { full[trace.index] = trace; });
    var first = Infinity;
    var last = -Infinity;
    var total = 0;
    var sets = meta.paper_traces.map(function (i) {
      var trace = gd.data[i];
      var xs = full[i].x;
      var ys = full[i].y;
      var n = xs.length;
      var set = {
        x: Array.prototype.slice.call(xs),
        y: Array.prototype.slice.call(ys),
        text: trace.text,
        date: trace.customdata,
        lo: new Int32Array(n),
        hi: new Int32Array(n),
        dated: new Uint8Array(n),
        words: new Array(n),
        n: n
      };
      for (var k = 0; k < n; k++) {
        var s = span(set.date[k]);
        if (s) {
          set.lo[k] = s[0];
          set.hi[k] = s[1];
          set.dated[k] = 1;
          first = Math.min(first, s[0]);
          last = Math.max(last, s[1]);
        }
        set.words[k] = plain(set.text[k]).toLowerCase();
      }
      total += n;
      return set;
    });

    var hasTime = first < last;
    if (hasTime) {
      [from, to].forEach(function (input) {
        input.min = first;
        input.max = last;
      });
      from.value = first;
      to.value = last;
      timeBox.hidden = false;
    }

    var applied = "all";  // the plot starts with every paper drawn
    var dimmed = false;
    function apply() {
      var a = hasTime ? Math.min(+from.value, +to.value) : -Infinity;
      var b = hasTime ? Math.max(+from.value, +to.value) : Infinity;
      var everything = !hasTime || (a <= first && b >= last);
      var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var xs = [];
      var ys = [];
      var hit = { x: [], y: [], text: [], date: [] };
      var shown = 0;
      var range = everything ? "all" : a + ":" + b;
      var moved = range !== applied;
      sets.forEach(function (set) {
        var x = moved ? new Array(set.n) : null;
        var y = moved ? new Array(set.n) : null;
        for (var k = 0; k < set.n; k++) {
          var keep = everything || (set.dated[k] === 1 && set.hi[k] >= a && set.lo[k] <= b);
          if (moved) {
            x[k] = keep ? set.x[k] : null;
            y[k] = keep ? set.y[k] : null;
          }
          if (!keep) {
            continue;
          }
          shown += 1;
          if (terms.length && matchesAll(set.words[k], terms)) {
            hit.x.push(set.x[k]);
            hit.y.push(set.y[k]);
            hit.text.push(set.text[k]);
            hit.date.push(set.date[k]);
          }
        }
        xs.push(x);
        ys.push(y);
      });
      if (moved) {
        Plotly.restyle(gd, { x: xs, y: ys }, meta.paper_traces);
        applied = range;
      }
      if (dimmed !== terms.length > 0) {
        dimmed = terms.length > 0;
        Plotly.restyle(gd, { opacity: dimmed ? 0.35 : 1 }, meta.paper_traces);
      }
      Plotly.restyle(gd, { x: [hit.x], y: [hit.y], text: [hit.text], customdata: [hit.date] }, [meta.search_trace]);
      if (hasTime) {
        rangeOut.textContent = monthLabel(a) + " to " + monthLabel(b);
      }
      shownOut.textContent = everything ? total.toLocaleString("en") + " papers"
        : shown.toLocaleString("en") + " of " + total.toLocaleString("en") + " papers in this period";
      matchesOut.textContent = terms.length
        ? (hit.x.length ? hit.x.length.toLocaleString("en") + " matching titles ringed" : "no matching title")
        : "";
      gd.landscapeMapState = { shown: shown, matches: hit.x.length, from: a, to: b };
    }

    var frame = null;
    function soon() {
      if (frame === null) {
        frame = window.requestAnimationFrame(function () {
          frame = null;
          apply();
        });
      }
    }
    var typing = null;
    search.addEventListener("input", function () {
      window.clearTimeout(typing);
      typing = window.setTimeout(apply, 150);
    });
    from.addEventListener("input", soon);
    to.addEventListener("input", soon);
    gd.landscapeMapApply = apply;
    gd.landscapeMapReady = true;
    apply();
  };
})();

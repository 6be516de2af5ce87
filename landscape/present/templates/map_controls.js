/* The controls of a landscape map (landscape/present/maps.py, map.html.j2): search over titles and
   abstracts, time filter, side panel with a paper's details and nearest neighbours, box/lasso
   selection with CSV download, and labels that switch from parent topics to topics on zooming in.
   Everything is read from the plot already on the page; nothing is fetched. Paper text is
   untrusted: it reaches the page only through textContent, links only when they are http(s). */
(function () {
  "use strict";
  if (window.landscapeMapInit) {
    return;
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

  function count(n) {
    return n.toLocaleString("en");
  }

  function bytes(base64) {
    if (Uint8Array.fromBase64) {
      return Uint8Array.fromBase64(base64);
    }
    var raw = atob(base64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  // The papers' text block: gzip inside base64, one line per paper and column (map_data.py).
  function unpack(base64) {
    var stream = new Blob([bytes(base64)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }

  // Start offset of every line of text, and one past the end.
  function lineStarts(text, lines) {
    var starts = new Float64Array(lines + 1);
    var at = 0;
    for (var i = 0; i < lines; i++) {
      starts[i] = at;
      var next = text.indexOf("\n", at);
      at = next < 0 ? text.length + 1 : next + 1;
    }
    starts[lines] = at;
    return starts;
  }

  function lineOf(starts, offset) {
    var lo = 0;
    var hi = starts.length - 2;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  // A CSV cell: quoted, and a leading = + - @ (or tab/CR) defused so spreadsheets show text, not a formula.
  function csvCell(value) {
    var s = value === undefined || value === null ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(s)) {
      s = "'" + s;
    }
    return "\"" + s.replace(/"/g, "\"\"") + "\"";
  }

  function safeLink(url) {
    return /^https?:\/\/[^\s]+$/i.test(url) ? url : "";
  }

  window.landscapeMapInit = function (id) {
    var gd = document.getElementById(id);
    var meta = gd && gd.layout && gd.layout.meta && gd.layout.meta.landscape_map;
    if (!meta || gd.landscapeMapStarted) {
      return;
    }
    gd.landscapeMapStarted = true;
    var started = performance.now();
    var Plotly = window.Plotly;
    function el(suffix) {
      return document.getElementById(id + "-" + suffix);
    }
    var search = el("search");
    var from = el("from");
    var to = el("to");
    var timeBox = el("time");
    var panel = el("panel");
    var selection = el("selection");
    // what the page shows, and how long its steps took (ms), for tests and the benchmark
    var state = { shown: 0, matches: 0, labelLevel: null, selected: 0, panelRow: null, from: null, to: null,
      timings: { plotted: started } };
    gd.landscapeMapState = state;

    // ---- papers in page order: trace t holds rows starts[t] .. starts[t] + n - 1 ----------------
    var full = {};
    gd._fullData.forEach(function (trace) { full[trace.index] = trace; });
    var traces = meta.paper_traces;
    var total = meta.n_papers;
    var X = new Float64Array(total);
    var Y = new Float64Array(total);
    var dates = new Array(total);
    var hover = new Array(total);
    var lo = new Int32Array(total);
    var hi = new Int32Array(total);
    var dated = new Uint8Array(total);
    var traceOf = new Int32Array(total);
    var first = Infinity;
    var last = -Infinity;
    traces.forEach(function (i, t) {
      var xs = full[i].x;
      var ys = full[i].y;
      var start = meta.starts[t];
      for (var k = 0; k < xs.length; k++) {
        var row = start + k;
        X[row] = xs[k];
        Y[row] = ys[k];
        dates[row] = gd.data[i].customdata[k];
        hover[row] = gd.data[i].text[k];
        traceOf[row] = t;
        var s = span(dates[row]);
        if (s) {
          lo[row] = s[0];
          hi[row] = s[1];
          dated[row] = 1;
          first = Math.min(first, s[0]);
          last = Math.max(last, s[1]);
        }
      }
    });
    var keep = new Uint8Array(total).fill(1);

    // ---- paper details: one block of lines (a column after another), unpacked once ------------
    var source = el("papers");
    var papers = source ? JSON.parse(source.textContent) : null;
    if (source) {
      source.remove();
    }
    var blocks = [];  // unpacked blocks: {columns, text, starts (of each line)}
    var hay = null;  // title lines, then abstract lines once unpacked, in lower case, for search
    var hayStarts = null;
    var near = null;
    function cell(name, row) {
      for (var b = 0; b < blocks.length; b++) {
        var c = blocks[b].columns.indexOf(name);
        if (c >= 0) {
          var line = c * total + row;
          return blocks[b].text.slice(blocks[b].starts[line], blocks[b].starts[line + 1] - 1);
        }
      }
      return "";
    }
    function lines(name) {  // a whole column as one string of lines
      for (var b = 0; b < blocks.length; b++) {
        var c = blocks[b].columns.indexOf(name);
        if (c >= 0) {
          return blocks[b].text.slice(blocks[b].starts[c * total], blocks[b].starts[(c + 1) * total] - 1);
        }
      }
      return "";
    }
    function titleOf(row) {
      return cell("title", row);
    }
    function topicOf(row) {
      var t = meta.trace_topics[traceOf[row]];
      return t ? t[1] : "";
    }

    // ---- drawing helpers -----------------------------------------------------------------------
    // One restyle, so one redraw of the WebGL scene, for changes to several traces:
    // changes[trace index] = {attribute: value}; traces without an attribute keep theirs.
    // layout: layout changes to make in the same redraw (Plotly.update), or nothing.
    function restyleMany(changes, layout) {
      var indices = Object.keys(changes).map(Number);
      if (!indices.length) {
        return;
      }
      var update = {};
      indices.forEach(function (i, at) {
        Object.keys(changes[i]).forEach(function (key) {
          update[key] = update[key] || indices.map(function () { return undefined; });
          update[key][at] = changes[i][key];
        });
      });
      if (layout) {
        Plotly.update(gd, update, layout, indices);
      } else {
        Plotly.restyle(gd, update, indices);
      }
    }

    // The change that draws rows on an overlay trace (search matches, neighbours, the paper shown).
    function overlay(trace, rows) {
      shownRows[[meta.search_trace, meta.neighbour_trace, meta.focus_trace].indexOf(trace)] = rows;
      return {
        x: rows.map(function (r) { return X[r]; }),
        y: rows.map(function (r) { return Y[r]; }),
        text: rows.map(function (r) { return hover[r]; }),
        customdata: rows.map(function (r) { return dates[r]; })
      };
    }

    function ring(row, rows, layout) {
      var changes = {};
      changes[meta.neighbour_trace] = overlay(meta.neighbour_trace, rows);
      changes[meta.focus_trace] = overlay(meta.focus_trace, row === null ? [] : [row]);
      restyleMany(changes, layout);
    }

    function paperButton(row) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "lm-paper";
      button.textContent = titleOf(row) || "(untitled)";
      button.addEventListener("click", function () { show(row, true); });
      return button;
    }

    // ---- side panel ----------------------------------------------------------------------------
    function show(row, jump) {
      state.panelRow = row;
      panel.querySelector(".lm-title").textContent = titleOf(row);
      var authors = cell("authors", row);
      var parts = [authors, dates[row], "topic " + topicOf(row)].filter(Boolean);
      panel.querySelector(".lm-meta").textContent = parts.join(" · ");
      var linkBox = panel.querySelector(".lm-link");
      linkBox.textContent = "";
      var url = safeLink(cell("url", row));
      if (url) {
        var a = document.createElement("a");
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = url;
        linkBox.appendChild(a);
      }
      panel.querySelector(".lm-abstract").textContent = cell("abstract", row);
      var list = panel.querySelector(".lm-near");
      list.textContent = "";
      var rows = [];
      if (near) {
        for (var j = 0; j < papers.k; j++) {
          var other = near[row * papers.k + j];
          if (other >= 0) {
            rows.push(other);
            var li = document.createElement("li");
            li.appendChild(paperButton(other));
            list.appendChild(li);
          }
        }
      }
      panel.querySelector(".lm-near-head").textContent = rows.length
        ? rows.length + " nearest papers " + (papers.near_by === "meaning" ? "(by meaning)" : "(on the map)")
        : "";
      panel.classList.add("lm-open");
      var pan = null;  // a paper jumped to off the view: centre the view on it, in the same redraw
      var xr = gd._fullLayout.xaxis.range;
      var yr = gd._fullLayout.yaxis.range;
      var inside = X[row] >= Math.min(xr[0], xr[1]) && X[row] <= Math.max(xr[0], xr[1]) &&
        Y[row] >= Math.min(yr[0], yr[1]) && Y[row] <= Math.max(yr[0], yr[1]);
      if (jump && !inside) {
        var w = (xr[1] - xr[0]) / 2;
        var h = (yr[1] - yr[0]) / 2;
        pan = { "xaxis.range": [X[row] - w, X[row] + w], "yaxis.range": [Y[row] - h, Y[row] + h] };
      }
      ring(row, rows, pan);
    }

    function hide() {
      panel.classList.remove("lm-open");
      state.panelRow = null;
      ring(null, []);
    }

    var paperTrace = {};  // trace index -> position in paper_traces
    traces.forEach(function (i, t) { paperTrace[i] = t; });
    function rowOfPoint(point) {
      var t = paperTrace[point.curveNumber];
      if (t !== undefined) {
        return meta.starts[t] + point.pointNumber;
      }
      var overlays = [meta.search_trace, meta.neighbour_trace, meta.focus_trace];
      var o = overlays.indexOf(point.curveNumber);
      return o >= 0 && shownRows[o] ? shownRows[o][point.pointNumber] : null;
    }

    // ---- selection and CSV ---------------------------------------------------------------------
    var selectedRows = [];
    var LIST_MAX = 200;
    function select(rows) {
      selectedRows = rows;
      state.selected = rows.length;
      selection.hidden = rows.length === 0;
      selection.querySelector(".lm-selection-count").textContent =
        count(rows.length) + (rows.length === 1 ? " paper selected" : " papers selected") +
        (rows.length > LIST_MAX ? " (first " + LIST_MAX + " listed)" : "");
      var list = selection.querySelector(".lm-selection-list");
      list.textContent = "";
      rows.slice(0, LIST_MAX).forEach(function (row) {
        var li = document.createElement("li");
        li.appendChild(paperButton(row));
        list.appendChild(li);
      });
    }

    function selectionCsv() {
      var head = ["id", "title", "authors", "date", "topic", "url"];
      var lines = [head.map(csvCell).join(",")];
      selectedRows.forEach(function (row) {
        lines.push([cell("id", row), titleOf(row), cell("authors", row), dates[row], topicOf(row),
          safeLink(cell("url", row))]
          .map(csvCell).join(","));
      });
      return lines.join("\r\n") + "\r\n";
    }

    function download() {
      var blob = new Blob(["\ufeff" + selectionCsv()], { type: "text/csv;charset=utf-8" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "landscape-selection.csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    }

    // ---- labels: parent topics when zoomed out, topics when zoomed in, never overlapping ---------
    var firstSpan = null;
    function placeLabels() {
      var L = gd._fullLayout;
      var xr = L.xaxis.range;
      var spanNow = Math.abs(xr[1] - xr[0]);
      if (firstSpan === null) {
        firstSpan = spanNow;
      }
      var groups = meta.labels.groups;
      var level = groups.length && spanNow > meta.zoom_switch * firstSpan ? "groups" : "topics";
      var candidates = level === "groups" ? groups : meta.labels.topics;
      var fontSize = level === "groups" ? 14 : 11;
      var width = L._size.w;
      var height = L._size.h;
      var boxes = [];
      var out = { x: [], y: [], text: [] };
      candidates.forEach(function (c) {
        var px = L.xaxis.l2p(c[0]);
        var py = L.yaxis.l2p(c[1]);
        var halfW = (c[4] * fontSize * (level === "groups" ? 0.62 : 0.56) + 8) / 2;
        var halfH = fontSize * 0.75 + 2;
        if (px - halfW < 0 || py - halfH < 0 || px + halfW > width || py + halfH > height) {
          return;  // only labels that fit inside the plot whole
        }
        for (var b = 0; b < boxes.length; b++) {
          var o = boxes[b];
          if (Math.abs(px - o[0]) < halfW + o[2] && Math.abs(py - o[1]) < halfH + o[3]) {
            return;
          }
        }
        boxes.push([px, py, halfW, halfH]);
        out.x.push(c[0]);
        out.y.push(c[1]);
        out.text.push(c[2]);
      });
      var font = meta.label_fonts[level];
      state.labelLevel = level;
      state.labels = out.text.length;
      var now = (gd.layout.annotations || []).map(function (a) { return a.text + "@" + a.x + "," + a.y; });
      var next = out.text.map(function (t, i) { return t + "@" + out.x[i] + "," + out.y[i]; });
      if (now.join("\n") === next.join("\n")) {
        return;  // the labels already shown
      }
      Plotly.relayout(gd, {
        annotations: out.x.map(function (x, i) {
          return { x: x, y: out.y[i], text: out.text[i], showarrow: false, font: font };
        })
      });
    }

    // ---- search and time filter ----------------------------------------------------------------
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
    var shownRows = [[], [], []];  // rows drawn by the search, neighbour and focus overlays
    var applied = "all";
    var dimmed = false;

    // Rows whose title or abstract contains every term (lower-case substrings).
    // Rows whose title or abstract contains every term (lower-case substrings): the longest term
    // (usually the rarest) is found by scanning all the text, the others only in those rows.
    function matching(terms) {
      var n = total;
      var parts = (hayStarts.length - 1) / n;  // lines a row has in hay: title, then abstract
      var order = terms.slice().sort(function (a, b) { return b.length - a.length; });
      var hit = new Uint8Array(n);
      var at = hay.indexOf(order[0]);
      while (at >= 0) {
        var line = lineOf(hayStarts, at);
        hit[line % n] = 1;
        at = hay.indexOf(order[0], hayStarts[line + 1]);
      }
      if (order.length > 1) {
        for (var r = 0; r < n; r++) {
          if (hit[r]) {
            var text = "";
            for (var p = 0; p < parts; p++) {
              text += hay.slice(hayStarts[p * n + r], hayStarts[p * n + r + 1]);
            }
            for (var t = 1; t < order.length && hit[r]; t++) {
              hit[r] = text.indexOf(order[t]) >= 0 ? 1 : 0;
            }
          }
        }
      }
      return hit;
    }

    function apply() {
      var a = hasTime ? Math.min(+from.value, +to.value) : -Infinity;
      var b = hasTime ? Math.max(+from.value, +to.value) : Infinity;
      var everything = !hasTime || (a <= first && b >= last);
      var range = everything ? "all" : a + ":" + b;
      var shown = 0;
      for (var row = 0; row < total; row++) {
        keep[row] = everything || (dated[row] === 1 && hi[row] >= a && lo[row] <= b) ? 1 : 0;
        shown += keep[row];
      }
      var changes = {};
      traces.forEach(function (i) { changes[i] = {}; });
      if (range !== applied) {
        traces.forEach(function (i, t) {
          var start = meta.starts[t];
          var n = full[i].x.length;
          var x = new Array(n);
          var y = new Array(n);
          for (var k = 0; k < n; k++) {
            x[k] = keep[start + k] ? X[start + k] : null;
            y[k] = keep[start + k] ? Y[start + k] : null;
          }
          changes[i].x = x;
          changes[i].y = y;
        });
        applied = range;
      }
      var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var rows = [];
      if (terms.length && hay !== null) {
        var hit = matching(terms);
        for (var r = 0; r < total; r++) {
          if (hit[r] && keep[r]) {
            rows.push(r);
          }
        }
      }
      if (dimmed !== terms.length > 0) {
        dimmed = terms.length > 0;
        traces.forEach(function (i) { changes[i].opacity = dimmed ? 0.35 : 1; });
      }
      if (rows.length || shownRows[0].length) {
        changes[meta.search_trace] = overlay(meta.search_trace, rows);
      }
      traces.forEach(function (i) {
        if (!Object.keys(changes[i]).length) {
          delete changes[i];
        }
      });
      restyleMany(changes);
      if (hasTime) {
        el("range").textContent = monthLabel(a) + " to " + monthLabel(b);
      }
      el("shown").textContent = everything ? count(total) + " papers"
        : count(shown) + " of " + count(total) + " papers in this period";
      el("matches").textContent = !terms.length ? ""
        : hay === null ? "search needs the paper details (map made with details=False)"
          : rows.length ? count(rows.length) + (rows.length === 1 ? " paper matches" : " papers match") +
            (hayStarts.length > 2 * total ? " (titles and abstracts), ringed" : " (titles; abstracts still loading)")
          : "no paper matches";
      state.shown = shown;
      state.matches = rows.length;
      state.query = search.value;
      state.from = a;
      state.to = b;
    }

    // ---- wiring ----------------------------------------------------------------------------------
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
    el("close").addEventListener("click", hide);
    selection.querySelector(".lm-csv").addEventListener("click", download);
    gd.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var row = point ? rowOfPoint(point) : null;
      if (row !== null && row !== undefined) {
        show(row, false);
      }
    });
    gd.on("plotly_selected", function (event) {
      var rows = [];
      var seen = new Uint8Array(total);
      ((event && event.points) || []).forEach(function (point) {
        if (paperTrace[point.curveNumber] === undefined) {
          return;
        }
        var row = rowOfPoint(point);
        if (row !== null && !seen[row] && keep[row]) {
          seen[row] = 1;
          rows.push(row);
        }
      });
      select(rows);
    });
    gd.on("plotly_deselect", function () { select([]); });
    function viewChanged(layout) {
      return layout && Object.keys(layout).some(function (key) {
        return /^(xaxis|yaxis|width|height|autosize)/.test(key);
      });
    }
    gd.on("plotly_relayout", function (layout) {
      if (viewChanged(layout)) {
        placeLabels();
      }
    });
    gd.on("plotly_update", function (event) {  // a jump to a paper off the view (show)
      if (event && viewChanged(event.layout)) {
        placeLabels();
      }
    });
    gd.landscapeMapApply = apply;
    gd.landscapeMapShow = show;
    gd.landscapeMapRow = function (paperId) {  // page row of a paper id (-1: none)
      for (var r = 0; r < total; r++) {
        if (cell("id", r) === String(paperId)) {
          return r;
        }
      }
      return -1;
    };

    function usable() {
      apply();
      placeLabels();
      state.timings.usable = performance.now();
    }
    if (!papers) {
      usable();
      gd.landscapeMapReady = true;
      return;
    }
    near = new Int32Array(bytes(papers.neighbours).buffer);
    state.timings.indexed = performance.now();
    function take(block, text) {
      block.text = null;
      var columns = block.columns;
      blocks.push({ columns: columns, text: text, starts: lineStarts(text, columns.length * total) });
      // titles, then titles and abstracts once they are here, as lower-case lines (row = line % total)
      var searchable = lines("title") + (lines("abstract") ? "\n" + lines("abstract") : "");
      hay = searchable.toLowerCase();
      hayStarts = lineStarts(hay, (lines("abstract") ? 2 : 1) * total);
    }
    var firstBlock = papers.blocks[0];
    var rest = papers.blocks.slice(1);
    unpack(firstBlock.text).then(function (text) {
      take(firstBlock, text);
      usable();  // the map, panel, list and title search work from here on
      return Promise.all(rest.map(function (block) {
        return unpack(block.text).then(function (more) { take(block, more); });
      }));
    }).then(function () {
      state.timings.unpacked = performance.now();
      if (search.value) {
        apply();  // the search now reaches the abstracts
      }
      if (state.panelRow !== null) {
        panel.querySelector(".lm-abstract").textContent = cell("abstract", state.panelRow);
      }
      gd.landscapeMapReady = true;
      state.timings.ready = performance.now();
    }).catch(function (error) {
      el("matches").textContent = "paper details could not be read: " + error;
      gd.landscapeMapReady = true;
    });
  };
})();

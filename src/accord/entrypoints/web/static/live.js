// The situation page, live: new alerts this user may read (the server decides, with the
// page's own filters) are added at the top of the list as they arrive, and announced
// politely; the map gains the alert's area (an update redraws its thread's, a cancellation
// takes it off) and the timeline its bar (an update or cancellation replaces the thread's).
// The server draws shape and bar for the page's own frame and axis, which the page put in
// the stream's address; this script only places them. Built with DOM methods, setAttribute
// and textContent only: alert text is never markup. The words it adds (column labels, the
// announcement) come translated in the status element's data attributes.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var SEVERITY_CLASSES = ["extreme", "severe", "moderate", "minor", "unknown"];
  var words;  // the page's: column labels (headline, event, severity, sent, area, TLP, state)

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (text !== undefined) {
      made.textContent = text;
    }
    return made;
  }

  function cell(label, child) {
    var td = element("td");
    td.setAttribute("data-label", label);
    td.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    return td;
  }

  function severityClass(value) {
    return SEVERITY_CLASSES.indexOf(value) >= 0 ? value : "unknown";
  }

  function row(alert) {
    var tr = element("tr", "live-new");
    tr.setAttribute("data-alert", alert.record_id);
    var link = element("a", "", alert.headline);
    link.setAttribute("href", "/console/alerts/" + encodeURIComponent(alert.record_id));
    var sent = element("time", "", alert.sent_text);
    sent.setAttribute("datetime", alert.sent);
    var labels = words.columns;
    tr.appendChild(cell(labels[0], link));
    tr.appendChild(cell(labels[1], alert.event));
    tr.appendChild(cell(labels[2], element("span", "badge sev-" + severityClass(alert.severity_class), alert.severity)));
    tr.appendChild(cell(labels[3], sent));
    tr.appendChild(cell(labels[4], alert.area));
    tr.appendChild(cell(labels[5], element("span", "tlp", "TLP:" + alert.tlp)));
    tr.appendChild(cell(labels[6], alert.state));
    return tr;
  }

  function tableBody(status) {
    var body = document.querySelector("table.alerts tbody");
    if (body) {
      return body;
    }
    var table = element("table", "alerts");
    table.appendChild(element("caption", "visually-hidden", words.caption));
    var head = element("thead");
    var headRow = element("tr");
    words.columns.forEach(function (name) {
      var th = element("th", "", name);
      th.setAttribute("scope", "col");
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    body = element("tbody");
    table.appendChild(body);
    var wrap = element("div", "table-wrap");
    wrap.appendChild(table);
    var empty = document.querySelector("p.empty");
    if (empty) {
      empty.replaceWith(wrap);
    } else {
      status.after(wrap);
    }
    return body;
  }

  function svgElement(tag, attributes) {
    var made = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) {
      made.setAttribute(name, attributes[name]);
    });
    return made;
  }

  function titled(parent, text) {
    var title = svgElement("title", {});
    title.textContent = text;
    parent.appendChild(title);
    return parent;
  }

  function alertLink(alert, className) {
    return svgElement("a", {
      href: "/console/alerts/" + encodeURIComponent(alert.record_id),
      "class": className + " live-new sev-" + severityClass(alert.severity_class),
      "data-alert": alert.record_id,
      "data-thread": String(alert.thread)
    });
  }

  function ofThread(container, alert) {
    return container.querySelectorAll('a[data-thread="' + CSS.escape(String(alert.thread)) + '"]');
  }

  function drawArea(alert) {
    var areas = document.querySelector("svg.map-svg g.areas");
    if (!areas) {
      return;
    }
    ofThread(areas, alert).forEach(function (old) { old.remove(); });
    if (!alert.is_live || !alert.shape) {
      return;
    }
    var link = titled(alertLink(alert, "area"), alert.shape.title);
    link.appendChild(svgElement("path", { d: alert.shape.path, "fill-rule": "evenodd" }));
    areas.appendChild(link);
  }

  function lengthen(svg, height) {
    var box = svg.getAttribute("viewBox").split(" ");
    if (Number(box[3]) >= height) {
      return;
    }
    box[3] = String(height);
    svg.setAttribute("viewBox", box.join(" "));
    svg.querySelectorAll("line").forEach(function (line) { line.setAttribute("y2", String(height)); });
  }

  function rowFor(svg, alert) {
    var old = ofThread(svg, alert)[0];
    if (old) {
      old.remove();
      return Number(old.querySelector("rect").getAttribute("y"));
    }
    var y = Number(svg.getAttribute("data-next-y"));
    var next = y + Number(svg.getAttribute("data-row-height"));
    svg.setAttribute("data-next-y", String(next));
    lengthen(svg, next + 4);
    return y;
  }

  function placeBar(alert) {
    var svg = document.querySelector("svg.timeline-svg");
    if (!svg || !alert.bar) {
      return;
    }
    var className = "bar" + (alert.bar.open_ended ? " open-ended" : "") + (alert.is_live ? "" : " ended");
    var link = alertLink(alert, className);
    var rect = titled(svgElement("rect", {
      x: String(alert.bar.x),
      y: String(rowFor(svg, alert)),
      width: String(alert.bar.width),
      height: "12",
      rx: "2"
    }), alert.bar.title);
    link.appendChild(rect);
    svg.appendChild(link);
    var empty = document.querySelector(".timeline-empty");
    if (empty) {
      empty.remove();
    }
  }

  function arrived(status, event) {
    var alert = JSON.parse(event.data);
    if (document.querySelector('tr[data-alert="' + CSS.escape(alert.record_id) + '"]')) {
      return;
    }
    var body = tableBody(status);
    body.insertBefore(row(alert), body.firstChild);
    drawArea(alert);
    placeBar(alert);
    // One pass over the page's own words: braces in an alert's text are not read again.
    status.textContent = words.arrived.replace(/\{(headline|severity|tlp)\}/g, function (_m, name) {
      return alert[name];
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var status = document.getElementById("live-status");
    if (!status || !window.EventSource) {
      return;
    }
    words = {
      columns: JSON.parse(status.getAttribute("data-columns")),
      caption: status.getAttribute("data-caption"),
      arrived: status.getAttribute("data-arrived")
    };
    var source = new EventSource(status.getAttribute("data-stream"));
    source.addEventListener("alert", function (event) { arrived(status, event); });
    source.addEventListener("open", function () { status.classList.add("is-live"); });
    window.addEventListener("pagehide", function () { source.close(); });
  });
})();

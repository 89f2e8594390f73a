// The situation page, live: new alerts this user may read (the server decides, with the
// page's own filters) are added at the top of the list as they arrive, and announced
// politely. Built with DOM methods and textContent only: alert text is never markup.
(function () {
  "use strict";

  var SEVERITY_CLASSES = ["extreme", "severe", "moderate", "minor", "unknown"];
  var COLUMNS = ["Headline", "Event", "Severity", "Sent", "Area", "TLP", "State"];

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
    tr.appendChild(cell("Headline", link));
    tr.appendChild(cell("Event", alert.event));
    tr.appendChild(cell("Severity", element("span", "badge sev-" + severityClass(alert.severity_class), alert.severity)));
    tr.appendChild(cell("Sent", sent));
    tr.appendChild(cell("Area", alert.area));
    tr.appendChild(cell("TLP", element("span", "tlp", "TLP:" + alert.tlp)));
    tr.appendChild(cell("State", alert.state));
    return tr;
  }

  function tableBody(status) {
    var body = document.querySelector("table.alerts tbody");
    if (body) {
      return body;
    }
    var table = element("table", "alerts");
    table.appendChild(element("caption", "visually-hidden", "Alerts, newest first"));
    var head = element("thead");
    var headRow = element("tr");
    COLUMNS.forEach(function (name) {
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

  function arrived(status, event) {
    var alert = JSON.parse(event.data);
    if (document.querySelector('tr[data-alert="' + CSS.escape(alert.record_id) + '"]')) {
      return;
    }
    var body = tableBody(status);
    body.insertBefore(row(alert), body.firstChild);
    status.textContent = "New alert: " + alert.headline + " (" + alert.severity + ", TLP:" + alert.tlp + ").";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var status = document.getElementById("live-status");
    if (!status || !window.EventSource) {
      return;
    }
    var source = new EventSource(status.getAttribute("data-stream") + window.location.search);
    source.addEventListener("alert", function (event) { arrived(status, event); });
    source.addEventListener("open", function () { status.classList.add("is-live"); });
    window.addEventListener("pagehide", function () { source.close(); });
  });
})();

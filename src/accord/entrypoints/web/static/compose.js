// The compose form's map: clicks add the polygon's corners, written to the polygon field as
// "lat,lon lat,lon ...", closed once there are three; typing in the field redraws the map.
// The field is what the server reads, so the form works the same without this script.
// Picking a country as the geocode names an area not yet described, as the server does
// when the form is sent. The corner count's words come translated in the status element's
// data-counts: the text for 0, 1 and 2 corners, and for more with "{n}" standing for the count.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  function number(svg, name) {
    return parseFloat(svg.getAttribute("data-" + name));
  }

  function parse(text) {
    var corners = [];
    text.trim().split(/\s+/).forEach(function (pair) {
      var parts = pair.split(",");
      var lat = parseFloat(parts[0]);
      var lon = parseFloat(parts[1]);
      if (parts.length === 2 && isFinite(lat) && isFinite(lon)) {
        corners.push([lat, lon]);
      }
    });
    var last = corners.length - 1;
    if (last > 0 && corners[0][0] === corners[last][0] && corners[0][1] === corners[last][1]) {
      corners.pop();
    }
    return corners;
  }

  function format(corners) {
    var ring = corners.length >= 3 ? corners.concat([corners[0]]) : corners;
    return ring.map(function (c) { return c[0].toFixed(4) + "," + c[1].toFixed(4); }).join(" ");
  }

  function setUp(svg) {
    var field = document.getElementById(svg.getAttribute("data-field"));
    var drawn = svg.querySelector(".drawn");
    var marks = svg.querySelector(".vertices");
    var status = document.getElementById("drawing-status");
    var west = number(svg, "west");
    var north = number(svg, "north");
    var lonPerUnit = number(svg, "lon-per-unit");
    var latPerUnit = number(svg, "lat-per-unit");
    var corners = parse(field.value);
    var counts = JSON.parse(status.getAttribute("data-counts"));

    function toMap(lat, lon) {
      return [(lon - west) / lonPerUnit, (north - lat) / latPerUnit];
    }

    function redraw() {
      var points = corners.map(function (c) { return toMap(c[0], c[1]); });
      drawn.setAttribute("d", points.length ? "M" + points.map(function (p) {
        return p[0].toFixed(1) + "," + p[1].toFixed(1);
      }).join("L") + (points.length >= 3 ? "Z" : "") : "");
      while (marks.firstChild) {
        marks.removeChild(marks.firstChild);
      }
      points.forEach(function (p) {
        var dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", p[0].toFixed(1));
        dot.setAttribute("cy", p[1].toFixed(1));
        dot.setAttribute("r", "4");
        marks.appendChild(dot);
      });
      var n = corners.length;
      status.textContent = n < 3 ? counts[String(n)] : counts.more.replace("{n}", String(n));
    }

    function changed() {
      field.value = format(corners);
      redraw();
    }

    svg.addEventListener("click", function (event) {
      var matrix = svg.getScreenCTM();
      if (!matrix) {
        return;
      }
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var local = point.matrixTransform(matrix.inverse());
      var lat = north - local.y * latPerUnit;
      var lon = west + local.x * lonPerUnit;
      corners.push([Math.round(lat * 1e4) / 1e4, Math.round(lon * 1e4) / 1e4]);
      changed();
    });
    field.addEventListener("input", function () {
      corners = parse(field.value);
      redraw();
    });
    document.getElementById("drawing-undo").addEventListener("click", function () {
      corners.pop();
      changed();
    });
    document.getElementById("drawing-clear").addEventListener("click", function () {
      corners = [];
      changed();
    });
    svg.classList.add("drawable");
    document.querySelector(".drawing-tools").hidden = false;
    if (corners.length) {
      redraw();
    }
  }

  function setUpCountry(select, description) {
    var filled = "";  // the name this script wrote, replaced when another country is picked
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var name = (option && option.getAttribute("data-name")) || "";
      if (description.value.trim() === "" || description.value === filled) {
        description.value = name;
        filled = name;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var svg = document.getElementById("drawing-map");
    if (svg) {
      setUp(svg);
    }
    var select = document.getElementById("field-geocode_country");
    var description = document.getElementById("field-area_desc");
    if (select && description) {
      setUpCountry(select, description);
    }
  });
})();

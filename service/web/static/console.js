// The staff console's small improvements; every page is complete without them.
// - the queue: items received since the page was shown are put on top of its table (polling
//   every LIVE_SECONDS; announced in a polite live region);
// - maps: the filtered queue (/console/carte), an item's place (/console/dossiers/...).
"use strict";
(function () {
  var LIVE_SECONDS = 15;

  function live(box) {
    var rows = document.querySelector("[data-live-rows]");
    var status = box.querySelector("[data-live-status]");
    var since = box.dataset.since || "0";
    var arrived = 0;
    function poll() {
      var url = new URL(box.dataset.live, window.location.href);
      url.searchParams.set("depuis", since);
      fetch(url.toString(), { headers: { accept: "text/html" }, credentials: "same-origin", redirect: "manual" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html.trim();
          var found = template.content.querySelectorAll("tr[data-item]");
          if (!found.length) { return; }
          if (!rows) { window.location.reload(); return; }
          var empty = document.querySelector("[data-empty]");
          if (empty) { empty.remove(); }
          for (var i = found.length - 1; i >= 0; i -= 1) {
            if (!rows.querySelector('tr[data-item="' + found[i].dataset.item + '"]')) {
              found[i].classList.add("new-row");
              rows.insertBefore(found[i], rows.firstChild);
              arrived += 1;
            }
            since = String(Math.max(Number(since), Number(found[i].dataset.item)));
          }
          status.textContent = box.dataset.message.replace("{count}", String(arrived));
        })
        .catch(function () { /* the next round tries again; the page stays as it is */ })
        .then(function () { window.setTimeout(poll, LIVE_SECONDS * 1000); });
    }
    window.setTimeout(poll, LIVE_SECONDS * 1000);
  }

  function baseMap(element) {
    element.hidden = false;
    var map = L.map(element, { attributionControl: true }).setView([47.47, -0.55], 11);
    map.attributionControl.setPrefix(false);
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  function getJSON(url) {
    return fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(url + ": " + r.status); }
        return r.json();
      });
  }

  function marker(latlng) {
    return L.circleMarker(latlng, {
      radius: 7, color: "#1b1b1b", weight: 2, fillColor: "#ffbf47", fillOpacity: 1,
    });
  }

  function queueMap(element) {
    var map = baseMap(element);
    getJSON(element.dataset.communes).then(function (communes) {
      var outlines = L.geoJSON(communes, {
        style: { color: "#005a70", weight: 1.5, fillColor: "#005a70", fillOpacity: 0.06 },
      }).addTo(map);
      map.fitBounds(outlines.getBounds());
      return getJSON(element.dataset.points);
    }).then(function (points) {
      points.forEach(function (point) {
        var link = document.createElement("a");
        link.href = point.href;
        link.textContent = point.label;
        marker([point.latitude, point.longitude]).bindPopup(link).addTo(map);
      });
    }).catch(function () { element.hidden = true; });
  }

  function itemMap(element) {
    var map = baseMap(element);
    var here = [Number(element.dataset.latitude), Number(element.dataset.longitude)];
    getJSON(element.dataset.communes).then(function (communes) {
      L.geoJSON(communes, {
        style: { color: "#005a70", weight: 1.5, fillColor: "#005a70", fillOpacity: 0.06 },
      }).addTo(map);
    }).catch(function () { /* the point alone */ });
    marker(here).addTo(map);
    map.setView(here, 16);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-live]");
    if (box && window.fetch) { live(box); }
    if (typeof L === "undefined") { return; }
    var queue = document.getElementById("queue-map");
    if (queue) { queueMap(queue); }
    var item = document.getElementById("item-map");
    if (item) { itemMap(item); }
  });
}());

// The sensors map: an improvement over the list, which says the same. Commune outlines come
// from this service, so the map is usable with no tile server at all; tiles come only from
// the server the operator configured (SERVICE_MAP_TILES_URL).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var nearMe = document.querySelector("[data-near-me]");
  if (nearMe && "geolocation" in navigator) {
    nearMe.hidden = false;
    nearMe.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        var url = new URL(window.location.href);
        url.searchParams.set("lat", position.coords.latitude.toFixed(5));
        url.searchParams.set("lon", position.coords.longitude.toFixed(5));
        url.searchParams.delete("apres");
        url.hash = "liste";
        window.location.assign(url.toString());
      });
    });
  }

  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") {
    return;
  }
  element.hidden = false;
  var map = L.map(element, { attributionControl: true }).setView([47.47, -0.55], 11);
  map.attributionControl.setPrefix(false);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
  }

  function load(url) {
    return fetch(url, { headers: { accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }

  load(element.dataset.communes).then(function (communes) {
    var outlines = L.geoJSON(communes, {
      style: { color: "#005a70", weight: 1.5, fillColor: "#005a70", fillOpacity: 0.06 },
    }).addTo(map);
    map.fitBounds(outlines.getBounds());
    return load(element.dataset.sensors);
  }).then(function (sensors) {
    L.geoJSON(sensors, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 8, color: "#1b1b1b", weight: 2, fillColor: "#ffbf47", fillOpacity: 1,
        });
      },
      onEachFeature: function (feature, layer) {
        var link = document.createElement("a");
        link.href = "/capteurs/" + encodeURIComponent(feature.properties.slug);
        link.textContent = feature.properties.name;
        link.title = element.dataset.linkLabel;
        var popup = document.createElement("div");
        popup.appendChild(link);
        if (feature.properties.placeName) {
          popup.appendChild(document.createElement("br"));
          popup.appendChild(document.createTextNode(feature.properties.placeName));
        }
        layer.bindPopup(popup);
      },
    }).addTo(map);
  }).catch(function () {
    element.hidden = true; // the list stays: it says the same
  });
});

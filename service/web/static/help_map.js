// The map of the help places: an improvement over the list, which says the same and stays
// the accessible way. Each marker's popup links to the place in the list (its commune's page).
// Commune outlines come from this service, so the map works with no tile server at all.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
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

  function listLink(properties) {
    var url = new URL(element.dataset.list, window.location.href);
    var here = new URL(window.location.href);
    url.search = here.search;
    url.searchParams.set("commune", properties.commune);
    url.hash = "lieu-" + properties.slug;
    return url.toString();
  }

  var commune = element.dataset.commune;
  load(element.dataset.communes).then(function (communes) {
    var outlines = L.geoJSON(communes, {
      filter: function (feature) {
        return !commune || feature.id === commune || feature.properties.code === commune;
      },
      style: { color: "#005a70", weight: 1.5, fillColor: "#005a70", fillOpacity: 0.06 },
    }).addTo(map);
    if (outlines.getLayers().length) {
      map.fitBounds(outlines.getBounds());
    }
    return load(element.dataset.places);
  }).then(function (places) {
    L.geoJSON(places, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 8, color: "#1b1b1b", weight: 2, fillColor: "#2e8540", fillOpacity: 1,
        });
      },
      onEachFeature: function (feature, layer) {
        var link = document.createElement("a");
        link.href = listLink(feature.properties);
        link.textContent = feature.properties.name;
        link.title = element.dataset.linkLabel;
        var popup = document.createElement("div");
        popup.appendChild(link);
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode(feature.properties.address));
        layer.bindPopup(popup);
      },
    }).addTo(map);
  }).catch(function () {
    element.hidden = true; // the list stays: it says the same
  });
});

// The report form's improvements (the map pin also serves the service requests that need a
// point); the form works without any of them (commune from the list,
// address typed, plain POST). With this script: a searchable category list, a map pin with
// "use my location", "already reported nearby?" as the pin moves, and reports written
// offline kept on the device and sent once the network is back, under an idempotency key
// made on the device (a retry racing the first send gives the same report, never two).
"use strict";
(function () {
  var OUTBOX = "alm-report-outbox";

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // Category search: hides the categories that do not match; the radios stay the form.
  function categorySearch(form) {
    var box = form.querySelector("[data-category-search]");
    if (!box) { return; }
    var input = box.querySelector("input");
    var status = box.querySelector("[aria-live]");
    var groups = form.querySelectorAll("[data-category-group]");
    box.hidden = false;
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      var shown = 0;
      groups.forEach(function (group) {
        var inGroup = 0;
        var legend = fold(group.querySelector("legend").textContent);
        group.querySelectorAll("[data-category-choice]").forEach(function (choice) {
          var match = !wanted || fold(choice.textContent).indexOf(wanted) >= 0 ||
            legend.indexOf(wanted) >= 0;
          choice.hidden = !match;
          if (match) { inGroup += 1; }
        });
        group.hidden = inGroup === 0;
        shown += inGroup;
      });
      status.textContent = shown === 0 ? status.dataset.none : "";
    });
  }

  // Even-odd ray cast over a GeoJSON (Multi)Polygon; coordinates are [lon, lat].
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }
  function inGeometry(lon, lat, geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some(function (rings) {
      return inRing(lon, lat, rings[0]) && !rings.slice(1).some(function (hole) {
        return inRing(lon, lat, hole);
      });
    });
  }

  function nearby(form) {
    var panel = form.querySelector("[data-nearby]");
    var lat = form.querySelector("[data-latitude]").value;
    var lon = form.querySelector("[data-longitude]").value;
    var category = form.querySelector("input[name=category]:checked");
    if (!panel || !lat || !lon || !category || !navigator.onLine) { return; }
    var url = new URL(panel.dataset.url, window.location.href);
    url.searchParams.set("latitude", lat);
    url.searchParams.set("longitude", lon);
    url.searchParams.set("category", category.value);
    fetch(url.toString(), { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(function (html) {
      panel.innerHTML = html;  // our own server's escaped HTML
    }).catch(function () { /* the check is repeated when the form is sent */ });
  }

  function mapPicker(form) {
    var picker = form.querySelector("[data-map-picker]");
    var element = document.getElementById("report-map");
    if (!picker || !element || typeof L === "undefined") { return; }
    picker.hidden = false;
    var latitude = form.querySelector("[data-latitude]");
    var longitude = form.querySelector("[data-longitude]");
    var commune = form.querySelector("select[name=commune]");
    var status = picker.querySelector("[data-pin-status]");
    var map = L.map(element).setView([47.47, -0.55], 11);
    map.attributionControl.setPrefix(false);
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, {
        maxZoom: 19, attribution: element.dataset.attribution,
      }).addTo(map);
    }
    var communes = null;
    var marker = null;

    function place(latlng) {
      latitude.value = latlng.lat.toFixed(6);
      longitude.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.circleMarker(latlng, {
          radius: 10, color: "#1b1b1b", weight: 3, fillColor: "#ffbf47", fillOpacity: 1,
        }).addTo(map);
      }
      var found = null;
      if (communes) {
        communes.features.forEach(function (feature) {
          if (!found && inGeometry(latlng.lng, latlng.lat, feature.geometry)) { found = feature; }
        });
      }
      if (communes && !found) {
        status.textContent = element.dataset.outside;
        status.classList.add("field-error");
        return;
      }
      status.classList.remove("field-error");
      if (found) {
        commune.value = found.properties.code;
        status.textContent = element.dataset.placed.replace("{commune}", found.properties.name);
      }
      nearby(form);
    }

    map.on("click", function (event) { place(event.latlng); });
    fetch(element.dataset.communes, { headers: { accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        communes = data;
        var outlines = L.geoJSON(data, {
          style: { color: "#005a70", weight: 1.5, fillColor: "#005a70", fillOpacity: 0.06 },
          interactive: false,
        }).addTo(map);
        map.fitBounds(outlines.getBounds());
        if (latitude.value && longitude.value) {
          place(L.latLng(parseFloat(latitude.value), parseFloat(longitude.value)));
        }
      }).catch(function () { /* tiles alone, or the commune list */ });

    var locate = picker.querySelector("[data-locate]");
    if (locate && "geolocation" in navigator) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
          map.setView(latlng, 17);
          place(latlng);
        }, function () {
          status.textContent = element.dataset.locatedFailed;
        });
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "category") { nearby(form); }
    });
  }

  // The outbox: reports written offline, sent when the network is back.
  function readOutbox() {
    try { return JSON.parse(window.localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }
  function writeOutbox(drafts) {
    window.localStorage.setItem(OUTBOX, JSON.stringify(drafts));
  }

  // The notice says `text` (and links to `link`); `more`: below what it already says.
  function notice(form, text, link, more) {
    var box = document.querySelector("[data-offline-notice]");
    if (!box) { return; }
    if (!more) { box.textContent = ""; }
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link;
      anchor.textContent = form.dataset.offlineLink;
      paragraph.appendChild(document.createTextNode(" "));
      paragraph.appendChild(anchor);
    }
    box.appendChild(paragraph);
    box.hidden = false;
  }

  function post(action, pairs) {
    return fetch(action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(pairs).toString(),
    });
  }

  function forget(key) {
    writeOutbox(readOutbox().filter(function (d) { return d.key !== key; }));
  }

  // A draft is sent with this page's CSRF token: the one it was written with may have expired.
  function withPageToken(form, fields) {
    var token = form.querySelector('[name="csrf_token"]');
    return fields.map(function (pair) {
      return pair[0] === "csrf_token" && token ? [pair[0], token.value] : pair;
    });
  }

  // A refused draft back in the form, to check and send again (same key: still one report).
  function restore(form, fields) {
    fields.forEach(function (pair) {
      if (pair[0] === "csrf_token" || pair[0] === "nearby_seen") { return; }
      form.querySelectorAll('[name="' + CSS.escape(pair[0]) + '"]').forEach(function (control) {
        if (control.type === "radio" || control.type === "checkbox") {
          control.checked = control.value === pair[1];
        } else {
          control.value = pair[1];
        }
      });
    });
  }

  // A draft the server refuses as invalid (400: something to correct) is set aside: kept,
  // marked, no longer replayed, and put back in the form (the first one) for the resident to
  // correct and send, so it never blocks the drafts written after it. Any other failure (a
  // form expired, too many at once, the server down, the network gone) keeps every draft, in
  // order, for the next try.
  function setAside(key) {
    writeOutbox(readOutbox().map(function (d) {
      if (d.key === key) { d.refused = true; }
      return d;
    }));
  }

  var restored = null;  // the key of the draft put back in the form, if one is
  var told = false;  // whether the notice already says what became of a replayed draft
  function tell(form, text, link) {
    notice(form, text, link, told);
    told = true;
  }
  function putBack(form, draft) {
    if (restored !== null) { return; }  // one at a time: the others come back next visit
    restored = draft.key;
    restore(form, draft.fields);
    tell(form, form.dataset.offlineFailed, null);
  }

  var replaying = false;
  function replay(form) {
    if (replaying || !navigator.onLine) { return; }
    var draft = readOutbox().filter(function (d) { return !d.refused; })[0];
    if (!draft) { return; }
    replaying = true;
    post(draft.action, withPageToken(form, draft.fields)).then(function (response) {
      replaying = false;
      if (response.redirected && response.ok) {
        forget(draft.key);
        tell(form, form.dataset.offlineSent, response.url);
        replay(form);
      } else if (response.status === 400) {
        setAside(draft.key);
        putBack(form, draft);
        replay(form);
      } else {
        putBack(form, draft);
      }
    }).catch(function () { replaying = false; });  // still offline: kept for later
  }

  function offlineQueue(form) {
    var key = form.querySelector("[data-idempotency-key]");
    // A fresh form gets a key made here; a form shown again (errors) keeps the one it had.
    if (key && key.value.indexOf("web-") === 0 && window.crypto && crypto.randomUUID) {
      key.value = "dev-" + crypto.randomUUID();
    }
    // « Me too » belongs to the support form (form="support-form"): only the report comes here.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var pairs = Array.from(new FormData(form).entries());
      function keep() {
        var drafts = readOutbox();
        // No one to ask "already reported nearby?" once it is replayed.
        var fields = pairs.concat([["nearby_seen", "1"]]);
        drafts.push({ action: form.action, fields: fields, key: key ? key.value : "" });
        writeOutbox(drafts);
        told = false;
        notice(form, form.dataset.offlineSaved);
      }
      if (!navigator.onLine) { keep(); return; }
      // A draft put back in the form is sent by it now: kept again only if the network fails
      // (a refusal shows the form again, with what was typed).
      if (key) { forget(key.value); }
      post(form.action, pairs).then(function (response) {
        if (response.redirected && response.ok) {
          window.location.assign(response.url);
        } else {
          HTMLFormElement.prototype.submit.call(form);  // same key: shows the errors, no double
        }
      }).catch(keep);
    });
    window.addEventListener("online", function () { replay(form); });
    // A draft set aside on an earlier visit is put back in the form again, to be corrected.
    var aside = readOutbox().filter(function (d) { return d.refused; })[0];
    if (aside) { putBack(form, aside); }
    replay(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-form]").forEach(mapPicker);
    var form = document.querySelector("[data-report-form]");
    if (form) {
      categorySearch(form);
      offlineQueue(form);
    }
  });
})();

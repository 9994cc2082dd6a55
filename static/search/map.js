// The map page: Leaflet over country outlines shipped with the app (or tiles, when the site sets a tile URL),
// and one marker per grid cell of images, counted by the server for the visible area at each move.
(function () {
  const element = document.getElementById("place-map");
  if (!element || !window.L || !window.topojson) return;
  const status = document.getElementById("map-status");
  const offline = !element.dataset.tileUrl;
  // Country outlines at 1:110m say little past zoom 8: closer views need the tiles of a tile server.
  const map = L.map(element, { worldCopyJump: true, minZoom: 1, maxZoom: offline ? 8 : 18 }).setView([20, 0], 2);
  if (!offline) {
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  } else {
    fetch(element.dataset.outlinesUrl).then(r => r.json()).then(world => {
      L.geoJSON(topojson.feature(world, world.objects.countries), {
        style: { color: "#8a94a3", weight: 1, fillColor: "#e6e9ee", fillOpacity: 1 },
        interactive: false,
      }).addTo(map).bringToBack();
    });
    element.classList.add("offline-map");
  }
  const markers = L.layerGroup().addTo(map);
  let latest = 0;
  let fitted = false;

  function popup(cluster) {
    const box = document.createElement("div");
    box.className = "map-popup";
    const asset = cluster.asset;
    if (asset) {
      const link = document.createElement("a");
      link.href = asset.html_url;
      if (asset.thumbnail_url) {
        const img = document.createElement("img");
        img.src = asset.thumbnail_url;
        img.alt = asset.title;
        link.appendChild(img);
      }
      const title = document.createElement("span");
      title.textContent = cluster.count > 1 ? asset.title + " and " + (cluster.count - 1) + " more" : asset.title;
      link.appendChild(title);
      box.appendChild(link);
    }
    if (cluster.count > 1) {
      const zoom = document.createElement("button");
      zoom.type = "button";
      zoom.className = "button button-small";
      zoom.textContent = "Zoom in";
      zoom.addEventListener("click", () => {
        const [south, west, north, east] = cluster.bounds;
        map.fitBounds([[south, west], [north, east]], { maxZoom: map.getMaxZoom(), padding: [40, 40] });
      });
      box.appendChild(zoom);
    }
    return box;
  }

  function load() {
    const bounds = map.getBounds();
    const url = new URL(element.dataset.placesUrl, window.location.href);
    url.searchParams.set("bbox", [Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
      Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90)].map(v => v.toFixed(5)).join(","));
    url.searchParams.set("zoom", map.getZoom());
    const request = ++latest;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(response => response.ok ? response.json() : Promise.reject(response))
      .then(data => {
        if (request !== latest) return;
        markers.clearLayers();
        let total = 0;
        data.clusters.forEach(cluster => {
          total += cluster.count;
          const marker = L.circleMarker([cluster.latitude, cluster.longitude], {
            radius: Math.min(8 + Math.sqrt(cluster.count) * 3, 30), color: "#1f4fd1", weight: 2,
            fillColor: "#3b6ef5", fillOpacity: 0.75, className: "place-marker",
          });
          marker.bindTooltip(String(cluster.count), { permanent: true, direction: "center", className: "place-count" });
          // On the map, not the marker: markers are redrawn after every move (a popup panning into view too).
          marker.on("click", () => L.popup().setLatLng(marker.getLatLng()).setContent(popup(cluster)).openOn(map));
          markers.addLayer(marker);
        });
        status.textContent = total ? total + " image" + (total === 1 ? "" : "s") + " with a position in view."
          : "No image with a position in view.";
        if (!fitted && data.clusters.length) {
          fitted = true;
          const all = L.latLngBounds(data.clusters.map(c => [[c.bounds[0], c.bounds[1]], [c.bounds[2], c.bounds[3]]]).flat());
          map.fitBounds(all, { maxZoom: offline ? 5 : 12, padding: [30, 30] });
        }
      })
      .catch(() => { status.textContent = "The map could not load its images; try again."; });
  }

  map.on("moveend", load);
  load();
})();

// The lightbox of the library and search grids: the image large, previous and next, zoom, and a download menu by
// size and format (the API's "downloads" of the asset). Keys: ← → previous and next, + − zoom, 0 fit, Esc close,
// / close and search. A click on a thumbnail opens it; without this script the thumbnail opens the asset's page.
(function () {
  "use strict";
  var grid = document.querySelector("[data-lightbox]");
  if (!grid) return;
  var ZOOMS = [1, 1.5, 2, 3, 4];
  var dialog, stage, heading, position, downloads, prevButton, nextButton;
  var tiles = [], index = 0, zoom = 0, fitWidth = 0, opener = null, touchX = null;
  var listed = {};

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function button(className, label, text, action) {
    var node = element("button", className, text);
    node.type = "button";
    node.setAttribute("aria-label", label);
    node.title = label;
    node.addEventListener("click", action);
    return node;
  }

  function build() {
    dialog = element("dialog", "lightbox");
    dialog.setAttribute("aria-label", "Image viewer");
    dialog.tabIndex = -1;
    var bar = element("div", "lightbox-bar");
    heading = element("a", "lightbox-title");
    position = element("span", "lightbox-position");
    var tools = element("div", "lightbox-tools");
    downloads = element("details", "download-menu");
    downloads.append(element("summary", "button button-small button-quiet", "Download"), element("div", "download-list"));
    tools.append(
      button("button button-small button-quiet", "Zoom out (−)", "−", function () { setZoom(zoom - 1); }),
      button("button button-small button-quiet", "Zoom in (+)", "+", function () { setZoom(zoom + 1); }),
      button("button button-small button-quiet", "Fit to the screen (0)", "Fit", function () { setZoom(0); }),
      downloads,
      button("button button-small", "Close (Esc)", "Close", function () { dialog.close(); })
    );
    var titles = element("p", "lightbox-heading");
    titles.append(heading, " ", position);
    bar.append(titles, tools);
    stage = element("div", "lightbox-stage");
    prevButton = button("lightbox-step lightbox-prev", "Previous image (←)", "‹", function () { step(-1); });
    nextButton = button("lightbox-step lightbox-next", "Next image (→)", "›", function () { step(1); });
    var help = element("p", "lightbox-help", "← → previous and next · + − zoom · 0 fit · Esc close · / search");
    dialog.append(bar, stage, prevButton, nextButton, help);
    document.body.append(dialog);

    dialog.addEventListener("keydown", keys);
    dialog.addEventListener("close", function () {
      stage.replaceChildren();
      // Back to the thumbnail, unless "/" has already put the cursor in the search box.
      var lost = document.activeElement === document.body || dialog.contains(document.activeElement);
      if (lost && opener && opener.isConnected) opener.focus();
    });
    stage.addEventListener("click", function (event) {
      if (event.target.tagName === "IMG") setZoom(zoom === 0 ? 2 : 0);
      else if (event.target === stage) dialog.close();
    });
    stage.addEventListener("touchstart", function (event) { touchX = event.touches[0].clientX; }, { passive: true });
    stage.addEventListener("touchend", function (event) {
      var moved = touchX === null ? 0 : event.changedTouches[0].clientX - touchX;
      touchX = null;
      if (zoom === 0 && Math.abs(moved) > 50) step(moved < 0 ? 1 : -1);
    });
  }

  function keys(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var handled = true;
    if (event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "+" || event.key === "=") setZoom(zoom + 1);
    else if (event.key === "-" || event.key === "_") setZoom(zoom - 1);
    else if (event.key === "0") setZoom(0);
    else if (event.key === "/") { dialog.close(); handled = false; }  // site.js then puts the cursor in search
    else handled = false;
    if (handled) event.preventDefault();
  }

  function step(by) {
    var next = index + by;
    if (next < 0 || next >= tiles.length) return;
    index = next;
    show();
  }

  function setZoom(level) {
    var image = stage.querySelector("img");
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, level));
    if (!image) return;
    if (zoom === 0) {
      stage.classList.remove("is-zoomed");
      image.style.width = "";
      return;
    }
    if (!stage.classList.contains("is-zoomed")) fitWidth = image.getBoundingClientRect().width;
    stage.classList.add("is-zoomed");
    image.style.width = Math.round(fitWidth * ZOOMS[zoom]) + "px";
    stage.scrollLeft = (stage.scrollWidth - stage.clientWidth) / 2;
    stage.scrollTop = (stage.scrollHeight - stage.clientHeight) / 2;
  }

  function show() {
    var tile = tiles[index];
    heading.textContent = tile.dataset.title;
    if (tile.dataset.pageUrl) heading.href = tile.dataset.pageUrl;
    else heading.removeAttribute("href");  // a shared page: no asset page to go to
    position.textContent = (index + 1) + " of " + tiles.length;
    prevButton.disabled = index === 0;
    nextButton.disabled = index === tiles.length - 1;
    var picture = tile.querySelector(".thumb picture");
    if (picture) {
      var copy = picture.cloneNode(true);
      var image = copy.querySelector("img");
      // As wide as the screen, but never wider than the largest preview: a srcset image takes its "sizes" as its
      // own width, and a 600-pixel image stretched to 1440 looks blurred.
      var widest = Math.max.apply(null, (image.getAttribute("srcset") || "").split(",").map(function (candidate) {
        return parseInt(candidate.trim().split(/\s+/)[1], 10) || 0;
      }));
      var sizes = widest > 0 ? "(max-width: " + widest + "px) 100vw, " + widest + "px" : "100vw";
      copy.querySelectorAll("source, img").forEach(function (node) { node.setAttribute("sizes", sizes); });
      image.removeAttribute("loading");
      image.alt = tile.dataset.title;
      stage.replaceChildren(copy);
    } else {
      stage.replaceChildren(element("p", "lightbox-empty", "No preview yet: it is still being made, or could not be."));
    }
    setZoom(0);
    downloads.open = false;
    listDownloads(tile);
  }

  function size(bytes) {
    var units = ["bytes", "KB", "MB", "GB"];
    var unit = 0;
    while (bytes >= 1024 && unit < units.length - 1) { bytes /= 1024; unit += 1; }
    return (unit === 0 ? bytes : bytes.toFixed(1)) + " " + units[unit];
  }

  function fileLink(file, text) {
    var link = element("a", "", text);
    link.href = file.url;
    link.setAttribute("download", "");
    link.append(" ", element("span", "muted", file.bytes === null ? "made when you download it" : size(file.bytes)));
    return link;
  }

  function renderDownloads(list, data) {
    var items = element("ul", "download-choices");
    if (data.original) {
      var original = element("li");
      original.append(fileLink(data.original, "Original"), " ",
        element("span", "muted", data.original.format + " · " + data.original.width + " × " + data.original.height));
      items.append(original);
    }
    data.sizes.forEach(function (choice) {
      var row = element("li");
      row.append(element("span", "size-label", choice.label));
      choice.files.forEach(function (file) { row.append(" ", fileLink(file, file.format)); });
      items.append(row);
    });
    if (!items.children.length) items.append(element("li", "muted", "Nothing to download yet."));
    list.replaceChildren(items);
  }

  function listDownloads(tile) {
    var list = downloads.querySelector(".download-list");
    var uid = tile.dataset.uid;
    if (listed[uid]) { renderDownloads(list, listed[uid]); return; }
    list.replaceChildren(element("p", "muted", "Listing the sizes…"));
    fetch(tile.dataset.downloadsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) {
        listed[uid] = data;
        if (tiles[index] === tile) renderDownloads(list, data);
      })
      .catch(function () {
        if (tiles[index] === tile) list.replaceChildren(element("p", "muted", "The sizes could not be listed; the asset's page has them."));
      });
  }

  grid.addEventListener("click", function (event) {
    var link = event.target.closest(".tile-open");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (!dialog) build();
    tiles = Array.prototype.slice.call(grid.querySelectorAll(".asset-tile"));
    index = tiles.indexOf(link.closest(".asset-tile"));
    opener = link;
    dialog.showModal();
    show();
    dialog.focus();
  });
})();

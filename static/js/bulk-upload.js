// Bulk upload: each file is its own request, a few at a time, so one bad file never stops the batch
// and every file shows its own progress (XMLHttpRequest, because fetch reports no upload progress).
(function () {
  "use strict";
  var PARALLEL = 3;
  var form = document.getElementById("bulk-upload");
  if (!form) return;
  var input = document.getElementById("bulk-files");
  var dropzone = form.querySelector("[data-dropzone]");
  var list = document.getElementById("upload-list");
  var rowTemplate = document.getElementById("upload-row");
  var summary = document.getElementById("upload-summary");
  var csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var queue = [];
  var running = 0;
  var counts = { total: 0, done: 0, duplicate: 0, error: 0 };

  function updateSummary() {
    var finished = counts.done + counts.duplicate + counts.error;
    var parts = [finished + " of " + counts.total + " finished"];
    if (counts.done) parts.push(counts.done + " uploaded");
    if (counts.duplicate) parts.push(counts.duplicate + " already in the library");
    if (counts.error) parts.push(counts.error + " refused");
    summary.textContent = parts.join(" · ");
    summary.hidden = false;
  }

  function setOutcome(row, state, message, link) {
    row.dataset.state = state;
    var outcome = row.querySelector(".outcome");
    outcome.textContent = message;
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.url;
      anchor.textContent = link.text;
      outcome.appendChild(anchor);
    }
  }

  function finish(row, state, message, link) {
    setOutcome(row, state, message, link);
    row.querySelector("progress").value = 100;
    counts[state] += 1;
    running -= 1;
    updateSummary();
    pump();
  }

  // Over the upload budget (429): the file waits as long as the server asks, then goes again; nothing is lost.
  function waitThenRetry(job, seconds) {
    setOutcome(job.row, "waiting", "Many uploads at once: this one goes again in " + seconds + " s…");
    job.row.querySelector("progress").value = 0;
    running -= 1;
    setTimeout(function () {
      queue.unshift(job);
      pump();
    }, seconds * 1000);
  }

  // The usage-rights fields (named "rights-<field>") as one JSON object, or null when no licence type is chosen.
  function rightsTerms() {
    var fields = form.querySelector("[data-rights-fields]");
    if (!fields || !form.elements["rights-licence_type"].value) return null;
    var terms = { channels: [], territories: [] };
    fields.querySelectorAll("input, select, textarea").forEach(function (element) {
      var name = element.name.replace(/^rights-/, "");
      if (name === "channels") {
        if (element.checked) terms.channels.push(element.value);
      } else if (name === "territories") {
        terms.territories = element.value.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
      } else if (element.type === "checkbox") {
        terms[name] = element.checked;
      } else if (element.value) {
        terms[name] = element.value;
      }
    });
    return terms;
  }

  // Wrong usage rights refuse every file alike: say so once, by the fields, and send no more until corrected.
  function stopForRights(message) {
    var error = document.getElementById("upload-rights-error");
    error.textContent = message;
    error.hidden = false;
    document.getElementById("upload-rights").open = true;
    queue.splice(0).forEach(function (job) {
      setOutcome(job.row, "error", "Not sent: correct the usage rights above, then choose the file again.");
      job.row.querySelector("progress").value = 100;
      counts.error += 1;
    });
  }

  function upload(job) {
    var row = job.row;
    var body = new FormData();
    body.append("file", job.file, job.file.name);
    var collection = form.elements.collection;
    if (collection && collection.value) body.append("collection", collection.value);
    if (form.elements.anonymise_faces && form.elements.anonymise_faces.checked) body.append("anonymise_faces", "on");
    if (form.elements.keywords && form.elements.keywords.value.trim()) body.append("keywords", form.elements.keywords.value);
    var rights = rightsTerms();
    if (rights) body.append("rights", JSON.stringify(rights));

    var request = new XMLHttpRequest();
    request.open("POST", form.dataset.uploadUrl);
    request.setRequestHeader("X-CSRFToken", csrfToken);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) row.querySelector("progress").value = Math.round((event.loaded / event.total) * 100);
    });
    request.upload.addEventListener("load", function () {
      setOutcome(row, "checking", "Checking the file…");
    });
    request.addEventListener("load", function () {
      var data = request.response;
      if (request.status === 429) {
        waitThenRetry(job, parseInt(request.getResponseHeader("Retry-After"), 10) || 5);
      } else if (data && data.ok && data.duplicate) {
        finish(row, "duplicate", data.message + " ", { url: data.url, text: "Open it" });
      } else if (data && data.ok && data.possible_duplicates && data.possible_duplicates.length) {
        var lookalike = data.possible_duplicates[0];
        finish(row, "done", "Done, possible duplicate of ", { url: lookalike.url, text: lookalike.title });
      } else if (data && data.ok) {
        finish(row, "done", "Done: ", { url: data.url, text: data.title });
      } else {
        var message = (data && data.message) || "The server refused the file (HTTP " + request.status + ").";
        if (data && data.code === "invalid_rights") stopForRights(message);
        finish(row, "error", message);
      }
    });
    request.addEventListener("error", function () {
      finish(row, "error", "The upload failed: the connection was lost.");
    });
    setOutcome(row, "uploading", "Uploading…");
    request.send(body);
  }

  function pump() {
    while (running < PARALLEL && queue.length) {
      running += 1;
      upload(queue.shift());
    }
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files, function (file) {
      var row = rowTemplate.content.firstElementChild.cloneNode(true);
      row.querySelector(".name").textContent = file.name;
      row.querySelector("progress").setAttribute("aria-label", "Upload progress of " + file.name);
      list.appendChild(row);
      queue.push({ file: file, row: row });
      counts.total += 1;
    });
    updateSummary();
    pump();
  }

  function takeChosenFiles() {
    document.getElementById("upload-rights-error").hidden = true;
    addFiles(input.files);
    input.value = "";
  }

  input.addEventListener("change", takeChosenFiles);
  // Files picked while the page was still loading (or restored by the browser) fired no change we heard.
  if (input.files.length) takeChosenFiles();
  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.add("is-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    dropzone.addEventListener(name, function () {
      dropzone.classList.remove("is-dragover");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault();
    addFiles(event.dataTransfer.files);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });
})();

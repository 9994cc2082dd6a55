// What every page shares: destructive forms ask first in a dialog, "/" jumps to the search box, copy buttons copy.
(function () {
  "use strict";

  // Confirmation. A form, or the button that submits it, marked data-confirm sends itself once unconfirmed: the
  // view answers with its confirmation page (core/confirm.py), whose question is shown here in a modal dialog.
  // Confirming sends the form again with confirmed=yes; cancelling changes nothing. Without this script the same
  // page is shown as a page, so the words live in one place and every browser asks.
  var dialog = null;

  function confirmDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-message");
    var title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    var message = document.createElement("div");
    message.id = "confirm-dialog-message";
    message.className = "confirmation-message";
    var actions = document.createElement("div");
    actions.className = "confirmation-actions";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button button-danger";
    yes.dataset.role = "confirm";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button button-quiet";
    no.textContent = "Cancel";
    no.addEventListener("click", function () { dialog.close(); });
    actions.append(yes, no);
    dialog.append(title, message, actions);
    document.body.append(dialog);
    return dialog;
  }

  function sendUnasked(form, submitter) {
    form.dataset.confirmFallback = "yes";
    form.requestSubmit(submitter || undefined);
  }

  function show(question, form, submitter) {
    var box = confirmDialog();
    box.querySelector("#confirm-dialog-title").textContent = question.querySelector("h1").textContent;
    var message = question.querySelector(".confirmation-message");
    box.querySelector("#confirm-dialog-message").replaceChildren.apply(
      box.querySelector("#confirm-dialog-message"),
      Array.prototype.map.call(message.childNodes, function (node) { return document.importNode(node, true); })
    );
    var yes = box.querySelector('[data-role="confirm"]');
    yes.textContent = question.querySelector("[data-confirm-button]").textContent;
    yes.onclick = function () {
      var flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      flag.value = "yes";
      flag.dataset.confirmed = "";
      form.append(flag);
      box.close();
      form.requestSubmit(submitter || undefined);
    };
    box.showModal();
    box.querySelector("button.button-quiet").focus();  // the safe choice has the focus
  }

  function target(form, submitter) {
    // Not form.action: a field named "action" (the selection bar's buttons) hides that property.
    var url = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action") || "";
    return new URL(url, window.location.href).href;
  }

  function ask(form, submitter) {
    fetch(target(form, submitter), {
      method: "POST", body: new FormData(form, submitter || undefined), credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var question = new DOMParser().parseFromString(html, "text/html").getElementById("confirmation");
        if (question) show(question, form, submitter);
        else sendUnasked(form, submitter);  // refused before asking (403, 404…): show that answer as a page
      }, function () { sendUnasked(form, submitter); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var marked = form.hasAttribute("data-confirm") || (submitter && submitter.hasAttribute("data-confirm"));
    if (!marked || form.querySelector("input[data-confirmed]") || form.dataset.confirmFallback) return;
    event.preventDefault();
    ask(form, submitter);
  });

  // Back to a page kept in the browser's cache: its forms must ask again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("input[data-confirmed]").forEach(function (input) { input.remove(); });
    document.querySelectorAll("form[data-confirm-fallback]").forEach(function (form) {
      delete form.dataset.confirmFallback;
    });
  });

  // Filter forms marked data-drop-empty leave their empty fields out of the address, so a search reads
  // ?q=cat&format=png rather than twenty empty parameters.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-drop-empty") || event.defaultPrevented) return;
    var emptied = Array.prototype.filter.call(form.elements, function (field) {
      return field.name && !field.disabled && field.type !== "checkbox" && field.type !== "radio" && field.value === "";
    });
    emptied.forEach(function (field) { field.disabled = true; });
    window.setTimeout(function () { emptied.forEach(function (field) { field.disabled = false; }); }, 0);
  });

  // "/" puts the cursor in the search box (the search page's own, else the header's), unless one is typing.
  // (The lightbox closes itself on "/" first: focus cannot leave a modal dialog.)
  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var box = document.querySelector("[data-search-box]") || document.querySelector(".site-search input");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  // Copy buttons: data-copy names the field whose text they copy.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    if (!field) return;
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () {});
  });
})();

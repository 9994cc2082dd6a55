// Concept suggestions under the search box: fetched as the person types, picked by click or keyboard.
(function () {
  const input = document.getElementById("id_q");
  const list = document.getElementById("suggestions");
  if (!input || !list) return;
  let timer = null;
  let active = -1;
  let latest = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function pick(item) {
    const url = new URL(input.form.action, window.location.href);
    new FormData(input.form).forEach((value, key) => {
      if (value && value !== "unknown" && key !== "q" && key !== "concept") url.searchParams.append(key, value);
    });
    url.searchParams.set("q", item.label);
    url.searchParams.append("concept", item.id);
    window.location.assign(url.toString());
  }

  function render(items) {
    list.replaceChildren();
    items.forEach((item, index) => {
      const option = document.createElement("li");
      option.id = "suggestion-" + index;
      option.setAttribute("role", "option");
      option.className = "suggestion";
      option.dataset.concept = item.id;
      const label = document.createElement("strong");
      label.textContent = item.name;
      const alias = document.createElement("span");
      alias.className = "also-called";
      if (item.also_called) alias.textContent = " — also called “" + item.also_called + "”";
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = item.more ? item.count + "+ images" : item.count === 1 ? "1 image" : item.count + " images";
      const definition = document.createElement("span");
      definition.className = "definition";
      definition.textContent = item.definition;
      option.append(label, alias, " ", count, definition);
      option.addEventListener("mousedown", (event) => { event.preventDefault(); pick(item); });
      list.append(option);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(items.length > 0));
  }

  async function fetchSuggestions() {
    const words = input.value.trim();
    if (words.length < 2) { close(); return; }
    const request = ++latest;
    const url = new URL(input.dataset.suggestUrl, window.location.href);
    url.searchParams.set("q", words);
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok || request !== latest) return;
    const data = await response.json();
    render(data.suggestions);
    list.suggestions = data.suggestions;
  }

  function highlight(index) {
    const options = list.querySelectorAll(".suggestion");
    if (!options.length) return;
    active = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    input.setAttribute("aria-activedescendant", options[active].id);
  }

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 150); });
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); pick(list.suggestions[active]); }
  });
})();

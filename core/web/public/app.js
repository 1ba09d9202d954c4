import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
// Content swapped in by htmx gets the same behaviour as the first page load.
document.body.addEventListener("htmx:afterSettle", (event) => initAll({ scope: event.target }));

// Gives each cell of a GOV.UK table its column's name as data-label, so that on a phone
// app.css can show every row as a card of labelled values instead of a table wider than the
// screen. Templates may write data-label themselves (it then wins); this covers the rest,
// including plugins' pages, without each template having to change.

function visibleText(header) {
  const copy = header.cloneNode(true);
  // A column named only for screen readers ("Action") needs no visible label.
  copy.querySelectorAll(".govuk-visually-hidden").forEach((hidden) => hidden.remove());
  return copy.textContent.replace(/\s+/g, " ").trim();
}

function columnNames(table) {
  const names = [];
  const row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
  if (!row) return names;
  for (const header of row.cells) {
    for (let i = 0; i < header.colSpan; i += 1) names.push(visibleText(header));
  }
  return names;
}

function label(table) {
  const names = columnNames(table);
  if (!names.length) return;
  // Explicit roles: some browsers drop a table's semantics once its display is changed.
  table.setAttribute("role", "table");
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      row.setAttribute("role", "row");
      let column = 0;
      for (const cell of row.cells) {
        const isRowHeader = cell.tagName === "TH";
        cell.setAttribute("role", isRowHeader ? "rowheader" : "cell");
        if (!cell.hasAttribute("data-label")) cell.dataset.label = names[column] || "";
        if (!cell.textContent.trim() && !cell.querySelector("img, svg, input, button, select")) {
          cell.dataset.empty = "";
        }
        column += cell.colSpan;
      }
    }
  }
  for (const header of table.tHead.querySelectorAll("th")) header.setAttribute("role", "columnheader");
  for (const row of table.tHead.rows) row.setAttribute("role", "row");
}

function labelAll(scope) {
  scope.querySelectorAll("table.govuk-table").forEach(label);
}

labelAll(document);
// Content swapped in by htmx (caseload results, meeting cards) gets labels too.
document.body.addEventListener("htmx:afterSettle", (event) => labelAll(event.target));

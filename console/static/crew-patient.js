"use strict";
// Patient contact: the crew reports it with the patient's condition, severity and count, as
// an on_scene status at the scene; the worker answers with the emergency room to go to.

GT.patient = (() => {
  const { el, label } = GT;
  const $ = (id) => document.getElementById(id);
  const CONDITIONS = ["cardiac_arrest", "stemi", "stroke", "major_trauma", "burns", "paediatric",
                      "obstetric", "medical", "minor"];
  const SEVERITIES = ["critical", "serious", "minor"];
  const pick = { condition: null, severity: null };
  let crew = null;

  function group(box, values, table, key) {
    for (const v of values) {
      const b = el("button", "", label(table, v));
      b.type = "button";
      b.dataset.value = v;
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", "false");
      b.addEventListener("click", () => {
        pick[key] = v;
        for (const o of box.children) o.setAttribute("aria-checked", String(o === b));
        $("patient-report").disabled = !(pick.condition && pick.severity);
      });
      box.append(b);
    }
  }

  async function send(e) {
    e.preventDefault();
    const view = crew.view || {};
    const count = Math.max(1, Math.min(1000, parseInt($("patient-count").value, 10) || 1));
    const patient = { condition: pick.condition, severity: pick.severity, count };
    const extra = { patient };
    if (view.incident && view.incident.location) extra.location = view.incident.location;  // at the scene
    $("patient-report").disabled = true;
    if (await crew.report("on_scene", extra)) $("patient-form").hidden = true;
    $("patient-report").disabled = false;
  }

  // Offered while the unit has an order; folded away once a destination is known.
  function show(ordered, hasDestination) {
    $("patient").hidden = !ordered;
    if (!ordered || hasDestination) $("patient-form").hidden = true;
  }

  function start(c) {
    crew = c;
    group($("patient-conditions"), CONDITIONS, "condition", "condition");
    group($("patient-severities"), SEVERITIES, "patientSeverity", "severity");
    $("patient-report").disabled = true;
    $("patient-open").addEventListener("click", () => { $("patient-form").hidden = !$("patient-form").hidden; });
    $("patient-form").addEventListener("submit", send);
  }

  return { start, show };
})();

"use strict";
// Queue filters: group (awaiting dispatch / active / resolved), district, type and priority.
// Options follow the incidents present; a select is only rebuilt when its set of values changes.

GT.filters = (() => {
  const { el, label } = GT;
  const known = { district: "", type: "" };

  function options(select, values, name) {
    const sig = values.join("|");
    if (known[name] === sig) return;
    known[name] = sig;
    const chosen = select.value;
    const all = el("option", "", name === "district" ? "모든 구 all districts" : "모든 유형 all types");
    all.value = "";
    const opts = values.map((v) => {
      const o = el("option", "", name === "type" ? `${label("type", v)} ${v}` : v);
      o.value = v;
      return o;
    });
    select.replaceChildren(all, ...opts);
    select.value = values.includes(chosen) ? chosen : "";
  }

  function refresh(C) {
    const districts = new Set();
    const types = new Set();
    for (const inc of C.state.incidents.values()) {
      if (inc.district) districts.add(inc.district);
      types.add(inc.type);
    }
    options(document.getElementById("filter-district"), [...districts].sort(), "district");
    options(document.getElementById("filter-type"), [...types].sort(), "type");
  }

  function start(C, rerender) {
    for (const name of ["group", "district", "type", "priority"]) {
      const select = document.getElementById(`filter-${name}`);
      select.addEventListener("change", () => { C.filter[name] = select.value; rerender(); });
    }
  }

  return { refresh, start };
})();

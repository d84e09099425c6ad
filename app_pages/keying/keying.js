// The Interview page's keying panel: the interview details and one Part's questions, driven
// from the keyboard the way CATI systems are. Mounted by app_pages/keying/panel.py as a
// Streamlit v2 component (no iframe): Python sends the questions, stored answers and save
// states as `data`; this script sends every change back in `outbox`, a list that holds each
// change until Python acknowledges it (`data.acked`), so a change is never lost between
// reruns, and is kept in localStorage until then so a refresh or crash sends it again.
//
// The DOM is built once per Part and then patched, so an autosave or a rerun never moves
// focus or scroll. Routing is evaluated here from the same rules as Python's, so a question
// appears or hides the moment an answer changes it.

const TEXT_PAUSE_MS = 400;
const MULTI_DIGIT_MS = 600;
const REDRAW_HOLD_MS = 3000;
const STORE = "survey-keying-outbox:";

export default function (component) {
  const { data, parentElement } = component;
  let panel = parentElement.__keyingPanel;
  if (!panel || panel.interview !== data.interview) {
    if (panel) panel.destroy();
    panel = new Panel(parentElement, data.interview);
    parentElement.__keyingPanel = panel;
  }
  panel.send = component.setStateValue;
  panel.trigger = component.setTriggerValue;
  panel.update(data);
  return () => {
    panel.destroy();
    parentElement.__keyingPanel = null;
  };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function newId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

class Panel {
  constructor(parent, interview) {
    this.interview = interview;
    this.root = el("div", { className: "keying" });
    parent.append(this.root);
    this.outbox = this.loadOutbox();
    this.resend = true;
    this.blocks = new Map(); // variable id (or detail name) -> Block
    this.part = null;
    this.focusToken = null;
    this.data = null;
    this.onKey = (event) => this.keydown(event);
    this.root.addEventListener("keydown", this.onKey);
    // Leaving the page (a refresh, a closed tab) keeps what was typed but not yet sent: it
    // goes into the outbox, which local storage keeps, and is sent when the page is back.
    this.onLeave = () => this.commitAll();
    window.addEventListener("pagehide", this.onLeave);
  }

  destroy() {
    // If Streamlit ever redraws the panel from scratch while the interviewer is in it, the
    // next panel puts the cursor back, with any text not yet sent (see restoreCursor).
    const active = [...this.blocks.values()].find((b) => b.target === document.activeElement);
    if (active) {
      window.__keyingCursor = holdKeys({
        interview: this.interview, part: this.part, name: active.name,
        text: active.choice ? null : active.target.value,
        caret: active.choice ? null : active.target.selectionStart,
      });
    }
    this.root.removeEventListener("keydown", this.onKey);
    window.removeEventListener("pagehide", this.onLeave);
    this.commitAll();
    for (const block of this.blocks.values()) block.stopTimers();
    this.root.remove();
  }

  commitAll() {
    for (const block of this.blocks.values()) {
      block.commitText();
      if (block.noteBox) block.commitNote();
    }
  }

  restoreCursor() {
    const kept = window.__keyingCursor;
    window.__keyingCursor = null;
    if (!kept) return false;
    kept.release();
    if (kept.interview !== this.interview || kept.part !== this.part) return false;
    const block = this.blocks.get(kept.name);
    if (!block || !block.visible()) return false;
    focusAndShow(block.target);
    if (kept.text !== null && block.target.value !== kept.text) {
      block.target.value = kept.text;
      block.typed();
    }
    if (kept.caret !== null) block.target.setSelectionRange(kept.caret, kept.caret);
    this.replay(kept.keys);
    return true;
  }

  replay(keys) {
    // The keys held while the panel was redrawn, each handled as if it had been pressed now.
    for (const key of keys) {
      const block = [...this.blocks.values()].find((b) => b.target === document.activeElement);
      if (!block) return; // the cursor left the panel: the rest has nowhere to go
      let handled = false;
      const event = { ...key, preventDefault: () => { handled = true; } };
      if (block.choice) block.choiceKey(event);
      else block.textKey(event);
      if (!handled) this.keydown(event);
      if (!handled) block.pressedByDefault(key);
    }
  }

  // --- the outbox: every change until Python says it is done --------------------------

  loadOutbox() {
    try {
      return JSON.parse(localStorage.getItem(STORE + this.interview) || "[]");
    } catch {
      return [];
    }
  }

  keepOutbox() {
    try {
      if (this.outbox.length) localStorage.setItem(STORE + this.interview, JSON.stringify(this.outbox));
      else localStorage.removeItem(STORE + this.interview);
    } catch {
      /* storage full or blocked: the outbox still goes to Python */
    }
  }

  enqueue(change) {
    const item = { id: newId(), ...change };
    if (!this.defaultsSent) this.enqueueDefaultDetails(change.variable);
    this.outbox.push(item);
    this.keepOutbox();
    this.flush();
    return item;
  }

  enqueueDefaultDetails(changing) {
    // The interviewer and today's date are filled in for a new interview and saved with
    // its first answer, so Complete is not refused for details nobody had to type.
    this.defaultsSent = true;
    const details = this.data && this.data.details;
    if (!details) return;
    for (const field of details.fields) {
      if (field.stored === null && field.suggested && field.name !== changing) {
        this.outbox.push({ id: newId(), target: "detail", variable: field.name, field: "value",
          value: field.suggested, based_on: 0, reason: this.reason() });
        const block = this.blocks.get(field.name);
        if (block) block.pending += 1;
      }
    }
  }

  flush() {
    try {
      if (this.send) this.send("outbox", this.outbox.slice());
    } catch {
      /* the panel is going (page left, council changed): local storage keeps the outbox */
    }
  }

  pendingFor(variable, field = "value") {
    return this.outbox.filter((c) => c.variable === variable && c.field === field);
  }

  reason() {
    return this.data && this.data.reason ? this.data.reason : null;
  }

  // --- rendering ----------------------------------------------------------------------

  update(data) {
    this.data = data;
    const acked = new Set(data.acked || []);
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((c) => !acked.has(c.id));
    if (this.outbox.length !== before) this.keepOutbox();
    const rebuild = this.part !== data.part;
    if (rebuild) this.build(data);
    for (const block of this.blocks.values()) block.refresh(data);
    this.route();
    if (data.focus !== this.focusToken) {
      const opening = this.focusToken === null;
      this.focusToken = data.focus;
      if (opening) {
        if (!this.restoreCursor()) this.focusFirstUnrecorded();
      } else this.focusFirstQuestion();
    }
    // Changes kept from before a refresh or crash go to Python once, on the first render.
    if (this.resend) {
      this.resend = false;
      if (this.outbox.length) this.flush();
    }
  }

  build(data) {
    for (const block of this.blocks.values()) block.stopTimers();
    this.blocks.clear();
    this.root.replaceChildren();
    this.part = data.part;
    this.root.append(keysLegend(data));
    if (data.details) {
      const section = el("section", { className: "details", "aria-labelledby": "keying-details-h" },
        el("h3", { id: "keying-details-h", text: "Respondent and interview details" }));
      const grid = el("div", { className: "details-grid" });
      for (const field of data.details.fields) {
        const block = new Block(this, field, "detail");
        this.blocks.set(field.name, block);
        grid.append(block.node);
      }
      section.append(grid);
      this.root.append(section);
    }
    const list = el("div", { className: "questions", role: "list",
      "aria-label": `Part ${data.part} questions` });
    for (const question of data.questions) {
      const block = new Block(this, question, "answer");
      this.blocks.set(question.id, block);
      list.append(block.node);
    }
    this.root.append(list);
    if (data.next_part) {
      const next = el("button", { type: "button", className: "next-part",
        "data-testid": "keying-next-part", text: `${data.next_label} →` });
      next.addEventListener("click", () => this.goToPart(data.next_part));
      this.root.append(next);
    }
  }

  // Local values: stored answers with this browser's unsent changes on top, for routing.
  currentValues() {
    const values = { ...(this.data.values || {}) };
    for (const change of this.outbox) {
      if (change.field === "value") values[change.variable] = change.value;
    }
    return values;
  }

  applies(variable, values) {
    // As Instrument.applies: a rule holds only if its parent is itself asked and holds the
    // code (a multiple choice: includes it). Rules name earlier questions only (the loader
    // checks), so this always ends.
    const groups = this.data.routing[variable];
    if (!groups) return true;
    return groups.some((group) => group.every(([parent, code]) => {
      const value = values[parent];
      if (!value || !this.applies(parent, values)) return false;
      if (this.data.multi.includes(parent)) return value.split(";").includes(code);
      return value === code;
    }));
  }

  route() {
    const values = this.currentValues();
    for (const block of this.blocks.values()) {
      if (block.kind !== "answer") continue;
      block.setApplies(this.applies(block.spec.id, values), values[block.spec.id]);
    }
  }

  // --- moving between questions -------------------------------------------------------

  stops() {
    return [...this.blocks.values()].filter((b) => b.visible()).map((b) => b.target);
  }

  move(from, step) {
    // The stop after (or before) `from` in page order, even if `from` itself just left.
    const stops = this.stops();
    const after = (node) => from.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING;
    const next = step > 0 ? stops.find((n) => n !== from && after(n))
      : stops.filter((n) => n !== from && !after(n)).pop();
    if (next) focusAndShow(next);
    else if (step > 0) {
      const button = this.root.querySelector(".next-part");
      if (button) focusAndShow(button);
    }
  }

  focusFirstUnrecorded() {
    // Opening an interview puts the cursor where keying goes on, unless the person is
    // already somewhere else on the page.
    const active = document.activeElement;
    if (active && active !== document.body && !this.root.contains(active)) return;
    const blank = [...this.blocks.values()].find((b) => b.visible() && !b.stored());
    if (blank) focusAndShow(blank.target);
    else this.focusFirstQuestion();
  }

  focusFirstQuestion() {
    const first = [...this.blocks.values()].find((b) => b.kind === "answer" && b.visible());
    if (first) focusAndShow(first.target);
  }

  goToPart(part) {
    // Everything typed so far goes with the request, so nothing waits on a timer.
    for (const block of this.blocks.values()) block.commitText();
    if (this.trigger) this.trigger("go", { part, outbox: this.outbox.slice() });
  }

  keydown(event) {
    if ((event.key === "PageDown" || event.key === "PageUp") && event.altKey) {
      const parts = this.data.parts;
      const at = parts.indexOf(this.data.part) + (event.key === "PageDown" ? 1 : -1);
      if (at >= 0 && at < parts.length) {
        event.preventDefault();
        this.goToPart(parts[at]);
      }
    }
  }
}

function holdKeys(cursor) {
  // Streamlit can redraw the panel from scratch (a new root element) between two keystrokes.
  // From the old panel going to the new one putting the cursor back, no box has the focus and
  // keys pressed then would fall on the page and be lost. They are held here, for a few
  // seconds at most and only while nothing else has the focus, and the new panel replays them.
  cursor.keys = [];
  const hold = (event) => {
    const at = document.activeElement;
    if ((at && at !== document.body) || event.isComposing) return;
    const { key, code, shiftKey, altKey, ctrlKey, metaKey } = event;
    cursor.keys.push({ key, code, shiftKey, altKey, ctrlKey, metaKey });
    event.preventDefault();
    event.stopPropagation(); // nor may they reach the page's own shortcuts ("r" reruns)
  };
  document.addEventListener("keydown", hold, true);
  const timer = setTimeout(() => cursor.release(), REDRAW_HOLD_MS);
  cursor.release = () => {
    clearTimeout(timer);
    document.removeEventListener("keydown", hold, true);
  };
  return cursor;
}

function focusAndShow(node) {
  node.focus({ preventScroll: true });
  node.scrollIntoView({ block: "center", behavior: "instant" });
}

function keysLegend(data) {
  const keys = [
    ["1–9", "choose and move on (in a multiple choice: toggle, then Enter)"],
    ["Space", "choose the highlighted option"],
    ["n", "Did not answer"],
    ["d", "Don't know"],
    ["Delete", "clear"],
    ["Enter / Tab", "next question"],
    ["Shift+Tab", "back"],
    ["Alt+N", "note"],
    ["Alt+H", "history"],
    ["Alt+PageDown", "next part"],
  ];
  const list = el("p", { className: "legend", id: "keying-legend" },
    el("span", { className: "legend-title", text: "Keys: " }));
  keys.forEach(([key, what], i) => {
    list.append(el("kbd", { text: key }), ` ${what}${i < keys.length - 1 ? " · " : ""}`);
  });
  list.append(el("span", { text: ". In a text box Enter is a new line, Tab leaves it, " +
    "and Alt+Shift+N or Alt+Shift+D records Did not answer or Don't know." }));
  if (data.notes_private) list.append(el("span", { text: ` ${data.notes_private}` }));
  return list;
}

const CHOICE_TYPES = new Set(["single", "yesno", "multi", "role"]);

class Block {
  constructor(panel, spec, kind) {
    this.panel = panel;
    this.spec = spec;
    this.kind = kind;
    this.name = kind === "detail" ? spec.name : spec.id;
    this.pending = 0;
    this.timers = {};
    this.cursor = 0; // highlighted option, moved by arrow keys without saving
    this.digits = "";
    this.shown = null; // the value on screen
    this.node = kind === "detail" ? this.buildDetail() : this.buildQuestion();
  }

  stopTimers() {
    for (const t of Object.values(this.timers)) clearTimeout(t);
  }

  visible() {
    return !this.node.hidden && this.target && this.target.tabIndex !== -1;
  }

  get type() {
    return this.spec.type;
  }

  get choice() {
    return CHOICE_TYPES.has(this.type);
  }

  ids(suffix) {
    return `kq-${this.panel.interview}-${this.name}-${suffix}`;
  }

  buildQuestion() {
    const spec = this.spec;
    const node = el("div", { className: "question", role: "listitem",
      "data-variable": spec.id, "data-testid": "keying-question" });
    if (spec.lead_in) node.append(el("p", { className: "lead-in", text: spec.lead_in }));
    // A typed answer's box is labelled by a real <label>: the question's own words.
    const wording = el(CHOICE_TYPES.has(spec.type) ? "p" : "label", {
      className: "wording", id: this.ids("q"),
      for: CHOICE_TYPES.has(spec.type) ? null : this.ids("input"),
    });
    if (spec.number) wording.append(el("strong", { text: `${spec.number} ` }));
    wording.append(document.createTextNode(spec.text));
    if (spec.coded) wording.append(el("span", { className: "badge", text: "coded by interviewer" }));
    node.append(wording);
    if (spec.help) node.append(el("p", { className: "help", id: this.ids("help"), text: spec.help }));
    this.label = spec.number ? `${spec.number}` : spec.label || spec.text;
    this.buildInput(node);
    this.buildFooter(node);
    return node;
  }

  buildDetail() {
    const spec = this.spec;
    const node = el("div", { className: "detail", "data-detail": spec.name,
      "data-testid": "keying-detail" });
    node.append(el("label", { className: "detail-label", id: this.ids("q"),
      for: this.choice ? null : this.ids("input"), text: spec.label }));
    this.label = spec.label;
    this.buildInput(node);
    this.status = el("span", { className: "status", role: "status", id: this.ids("status") });
    node.append(this.status);
    this.problem = el("p", { className: "problem", id: this.ids("problem"), hidden: true });
    node.append(this.problem);
    return node;
  }

  describedBy() {
    return [this.spec.help ? this.ids("help") : null, this.ids("status"), "keying-legend"]
      .filter(Boolean).join(" ");
  }

  buildInput(node) {
    if (this.choice) {
      const multi = this.type === "multi";
      this.target = el("div", {
        className: "options", tabindex: 0, id: this.ids("input"),
        role: multi ? "listbox" : "radiogroup",
        "aria-multiselectable": multi ? "true" : null,
        "aria-labelledby": this.ids("q"), "aria-describedby": this.describedBy(),
      });
      this.options = this.spec.choices.map(([code, label], i) => {
        const option = el("div", {
          className: "option", id: this.ids(`o${i}`), "data-code": code,
          role: multi ? "option" : "radio",
        }, el("span", { className: "digit", "aria-hidden": "true", text: `${i + 1}` }),
        el("span", { className: "mark", "aria-hidden": "true" }),
        el("span", { className: "label", text: label }));
        option.addEventListener("mousedown", (e) => e.preventDefault());
        option.addEventListener("click", () => {
          this.target.focus({ preventScroll: true });
          this.cursor = i;
          this.choose(i);
        });
        this.target.append(option);
        return option;
      });
      this.target.addEventListener("keydown", (e) => this.choiceKey(e));
      this.target.addEventListener("focus", () => this.highlight());
      node.append(this.target);
    } else {
      const area = this.type === "text" && this.kind === "answer";
      this.target = el(area ? "textarea" : "input", {
        className: area ? "verbatim" : "line", id: this.ids("input"),
        type: area ? null : "text", rows: area ? 3 : null,
        "aria-labelledby": this.ids("q"), "aria-describedby": this.describedBy(),
        placeholder: this.spec.placeholder || (area ? "Verbatim answer" : null),
        autocomplete: "off", spellcheck: area ? "true" : "false",
        inputmode: this.type === "date" ? "numeric" : null,
      });
      this.target.addEventListener("input", () => this.typed());
      this.target.addEventListener("blur", () => this.commitText());
      this.target.addEventListener("keydown", (e) => this.textKey(e));
      node.append(this.target);
    }
  }

  buildFooter(node) {
    this.recorded = el("p", { className: "recorded", hidden: true });
    node.append(this.recorded);
    const footer = el("div", { className: "footer" });
    this.reserved = this.panel.data.reserved.map(([code, label]) => {
      const button = el("button", { type: "button", tabindex: -1, className: "reserved",
        "data-code": code, "aria-pressed": "false", "aria-label": `${label}: ${this.label}`,
        text: label });
      button.addEventListener("click", () => this.setValue(this.shown === code ? null : code));
      footer.append(button);
      return button;
    });
    this.noteButton = el("button", { type: "button", tabindex: -1, className: "link",
      "aria-label": `Note on ${this.label}`, text: "Note (Alt+N)" });
    this.noteButton.addEventListener("click", () => this.openNote());
    this.historyButton = el("button", { type: "button", tabindex: -1, className: "link",
      "aria-expanded": "false", "aria-controls": this.ids("history") });
    this.historyButton.addEventListener("click", () => this.toggleHistory());
    this.status = el("span", { className: "status", role: "status", id: this.ids("status") });
    footer.append(this.noteButton, this.historyButton, this.status);
    node.append(footer);
    this.problem = el("div", { className: "problem", id: this.ids("problem"), hidden: true });
    node.append(this.problem);
    this.noteShown = el("p", { className: "note-shown", hidden: true });
    this.noteBox = el("textarea", { className: "note", rows: 2, hidden: true,
      "aria-label": `Interviewer's note on ${this.label} (not shown to the council)`,
      placeholder: "Interviewer's note (not shown to the council)" });
    this.noteBox.addEventListener("input", () => this.typedNote());
    this.noteBox.addEventListener("blur", () => this.closeNote());
    this.noteBox.addEventListener("keydown", (e) => {
      if (e.key === "Escape" || (e.key === "Enter" && !e.shiftKey)) {
        e.preventDefault();
        this.target.focus({ preventScroll: true });
      }
    });
    node.append(this.noteShown, this.noteBox);
    this.review = el("p", { className: "review", hidden: true });
    this.history = el("ol", { className: "history", id: this.ids("history"), hidden: true,
      "aria-label": `History of ${this.label}` });
    node.append(this.review, this.history);
    this.skipped = el("p", { className: "skipped", hidden: true });
  }

  // --- values ---------------------------------------------------------------------------

  stored() {
    return this.kind === "detail" ? this.spec.stored : this.spec.value;
  }

  refresh(data) {
    if (this.kind === "answer") {
      this.spec = data.questions.find((q) => q.id === this.name) || this.spec;
    } else {
      this.spec = data.details.fields.find((f) => f.name === this.name) || this.spec;
    }
    const mine = this.panel.pendingFor(this.name);
    this.pending = mine.length;
    const focusedText = !this.choice && document.activeElement === this.target;
    const refused = Boolean(this.spec.status && this.spec.status.state !== "saved");
    if (focusedText && (this.typing || !refused)) {
      // The text box the interviewer is in is never rewritten from the server, not even by
      // its own earlier save coming back; only a refusal, once typing stops, puts the stored
      // value back.
    } else if (this.pending) {
      this.show(mine[mine.length - 1].value);
    } else {
      const stored = this.stored();
      this.show(stored === null && this.kind === "detail" ? this.spec.suggested : stored);
      this.typing = false;
    }
    this.showStatus();
    if (this.kind === "answer") this.refreshExtras();
  }

  show(value) {
    this.shown = value;
    const reserved = this.panel.data.reserved.map(([code]) => code);
    if (this.reserved) {
      for (const button of this.reserved) {
        button.setAttribute("aria-pressed", String(button.dataset.code === value));
      }
    }
    if (this.choice) {
      const chosen = value && !reserved.includes(value) ? value.split(";") : [];
      this.options.forEach((option) => {
        const on = chosen.includes(option.dataset.code);
        option.setAttribute(this.type === "multi" ? "aria-selected" : "aria-checked", String(on));
        option.classList.toggle("chosen", on);
      });
      this.target.classList.toggle("reserved-chosen", reserved.includes(value));
    } else {
      const text = value && !reserved.includes(value) ? value : "";
      if (this.target.value !== text) this.target.value = text;
      this.target.classList.toggle("reserved-chosen", reserved.includes(value));
      this.target.placeholder = reserved.includes(value)
        ? `${this.panel.data.reserved.find(([c]) => c === value)[1]} (type to replace)`
        : this.spec.placeholder || (this.target.tagName === "TEXTAREA" ? "Verbatim answer" : "");
    }
  }

  setValue(value) {
    if (value === "") value = null;
    if (value === this.shown && this.pending) return;
    this.show(value);
    this.pending += 1;
    this.panel.enqueue({ target: this.kind, variable: this.name, field: "value", value,
      based_on: this.spec.version || 0, reason: this.reasonText() });
    this.showStatus();
    this.panel.route();
  }

  reasonText() {
    return (this.reasonBox && this.reasonBox.value.trim()) || this.panel.reason();
  }

  choose(index) {
    const code = this.options[index].dataset.code;
    const reserved = this.panel.data.reserved.map(([c]) => c);
    if (this.type === "multi") {
      const chosen = this.shown && !reserved.includes(this.shown) ? this.shown.split(";") : [];
      const next = chosen.includes(code) ? chosen.filter((c) => c !== code) : [...chosen, code];
      const ordered = this.spec.choices.map(([c]) => c).filter((c) => next.includes(c));
      this.setValue(ordered.length ? ordered.join(";") : null);
    } else if (this.shown !== code) {
      this.setValue(code);
    }
    this.highlight();
  }

  highlight() {
    if (!this.options) return;
    this.options.forEach((o, i) => o.classList.toggle("cursor", i === this.cursor));
    this.target.setAttribute("aria-activedescendant", this.options[this.cursor].id);
  }

  choiceKey(e) {
    if (e.altKey && !e.ctrlKey) return this.altKey(e);
    if (e.ctrlKey || e.metaKey) return;
    const n = this.options.length;
    if (/^[0-9]$/.test(e.key)) {
      e.preventDefault();
      this.digit(e.key);
    } else if (this.reserved && "nNdD".includes(e.key)) {
      e.preventDefault();
      const code = this.panel.data.reserved[e.key.toLowerCase() === "n" ? 0 : 1][0];
      const clearing = this.shown === code;
      this.setValue(clearing ? null : code);
      if (!clearing && this.type !== "multi") this.panel.move(this.target, 1);
    } else if (e.key === "ArrowDown" || e.key === "ArrowRight") {
      e.preventDefault();
      this.cursor = (this.cursor + 1) % n;
      this.highlight();
    } else if (e.key === "ArrowUp" || e.key === "ArrowLeft") {
      e.preventDefault();
      this.cursor = (this.cursor - 1 + n) % n;
      this.highlight();
    } else if (e.key === " ") {
      e.preventDefault();
      this.choose(this.cursor);
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      if (this.shown !== null) this.setValue(null);
    } else if (e.key === "Enter") {
      e.preventDefault();
      this.panel.move(this.target, e.shiftKey ? -1 : 1);
    }
  }

  digit(key) {
    // Up to nine options: the digit is the option. More: a second digit within a moment
    // makes 10, 11, … so a long list is keyed the same way.
    const n = this.options.length;
    clearTimeout(this.timers.digit);
    this.digits += key;
    const number = Number(this.digits);
    const longer = n >= number * 10 && number > 0;
    const act = () => {
      const chosen = Number(this.digits);
      this.digits = "";
      if (chosen >= 1 && chosen <= n) {
        this.cursor = chosen - 1;
        this.choose(chosen - 1);
        // One answer per single choice: the cursor moves on by itself, as in CATI keying.
        if (this.type !== "multi") this.panel.move(this.target, 1);
      } else {
        this.flashProblem(`There is no option ${chosen} for ${this.label}.`);
      }
    };
    if (longer) this.timers.digit = setTimeout(act, MULTI_DIGIT_MS);
    else act();
  }

  textKey(e) {
    if (e.altKey && e.shiftKey && (e.code === "KeyN" || e.code === "KeyD")) {
      e.preventDefault();
      clearTimeout(this.timers.text);
      const code = this.panel.data.reserved[e.code === "KeyN" ? 0 : 1][0];
      this.typing = false;
      this.setValue(this.shown === code ? null : code);
      return;
    }
    if (e.altKey && !e.ctrlKey) return this.altKey(e);
    if (e.key === "Enter" && (this.target.tagName === "INPUT" || e.ctrlKey)) {
      e.preventDefault();
      this.commitText();
      this.panel.move(this.target, e.shiftKey ? -1 : 1);
    }
  }

  pressedByDefault(key) {
    // What the browser does with a key nobody handled: Tab moves on, and in a text box a
    // character, a new line or a deletion changes the text at the caret.
    if (key.key === "Tab") {
      this.panel.move(this.target, key.shiftKey ? -1 : 1);
      return;
    }
    if (this.choice || key.ctrlKey || key.metaKey || key.altKey) return;
    const box = this.target;
    const [start, end] = [box.selectionStart, box.selectionEnd];
    if (key.key.length === 1 || (key.key === "Enter" && box.tagName === "TEXTAREA")) {
      box.setRangeText(key.key === "Enter" ? "\n" : key.key, start, end, "end");
    } else if (key.key === "Backspace" && (start !== end || start > 0)) {
      box.setRangeText("", start === end ? start - 1 : start, end, "end");
    } else if (key.key === "Delete" && (start !== end || end < box.value.length)) {
      box.setRangeText("", start, start === end ? end + 1 : end, "end");
    } else return;
    this.typed();
  }

  altKey(e) {
    if (e.code === "KeyN" && this.noteBox) {
      e.preventDefault();
      this.openNote();
    } else if (e.code === "KeyH" && this.history) {
      e.preventDefault();
      this.toggleHistory();
    }
  }

  typed() {
    this.typing = true;
    clearTimeout(this.timers.text);
    this.status.textContent = "Typing…";
    this.status.className = "status typing";
    this.timers.text = setTimeout(() => this.commitText(), TEXT_PAUSE_MS);
  }

  commitText() {
    clearTimeout(this.timers.text);
    if (!this.target || this.choice || !this.typing) return;
    this.typing = false;
    const text = this.target.value;
    const value = text.trim() ? text : null;
    const reserved = this.panel.data.reserved.map(([c]) => c);
    if (value === null && reserved.includes(this.shown)) return; // an empty box keeps the code
    if (value !== this.shown) this.setValue(value);
    else this.showStatus();
  }

  // --- note and history --------------------------------------------------------------

  openNote() {
    this.noteBox.hidden = false;
    this.noteShown.hidden = true;
    this.noteBox.focus({ preventScroll: true });
  }

  closeNote() {
    this.commitNote();
    this.noteBox.hidden = true;
    this.showNote();
  }

  typedNote() {
    this.noteTyping = true;
    clearTimeout(this.timers.note);
    this.timers.note = setTimeout(() => this.commitNote(), TEXT_PAUSE_MS);
  }

  commitNote() {
    clearTimeout(this.timers.note);
    if (!this.noteTyping) return;
    this.noteTyping = false;
    const note = this.noteBox.value.trim() ? this.noteBox.value : null;
    this.pendingNote = note;
    this.panel.enqueue({ target: "answer", variable: this.name, field: "note", value: note,
      based_on: this.spec.version || 0, reason: this.reasonText() });
    this.showStatus();
  }

  showNote() {
    const notes = this.panel.pendingFor(this.name, "note");
    const note = notes.length ? notes[notes.length - 1].value : this.spec.note;
    if (this.noteBox.hidden || document.activeElement !== this.noteBox) {
      if (!this.noteTyping) this.noteBox.value = note || "";
    }
    this.noteShown.textContent = note ? `Note: ${note}` : "";
    this.noteShown.hidden = !note || !this.noteBox.hidden;
  }

  toggleHistory() {
    this.history.hidden = !this.history.hidden;
    this.historyButton.setAttribute("aria-expanded", String(!this.history.hidden));
  }

  refreshExtras() {
    const spec = this.spec;
    this.showNote();
    this.historyButton.textContent = `History (${spec.history.length})`;
    this.history.replaceChildren(...(spec.history.length
      ? spec.history.map((line) => el("li", { text: line }))
      : [el("li", { text: "Nothing saved yet." })]));
    this.recorded.hidden = !spec.recorded;
    this.recorded.textContent = spec.recorded || "";
    this.review.hidden = !spec.review;
    this.review.textContent = spec.review ? spec.review.text : "";
    this.review.classList.toggle("warn", Boolean(spec.review && spec.review.warn));
  }

  // --- routing ------------------------------------------------------------------------

  setApplies(applies, value) {
    if (!applies && this.node.contains(document.activeElement)) {
      // Never pull a question from under the interviewer's cursor: it goes when they leave.
      if (!this.leaveWatch) {
        this.leaveWatch = () => {
          this.node.removeEventListener("focusout", this.leaveWatch);
          this.leaveWatch = null;
          setTimeout(() => this.panel.route(), 0);
        };
        this.node.addEventListener("focusout", this.leaveWatch);
      }
      return;
    }
    this.node.hidden = !applies;
    this.node.classList.remove("skipped-block");
    if (!applies && value) {
      // An answer routing now skips is kept, and said to be kept.
      this.node.hidden = false;
      this.node.classList.add("skipped-block");
      this.target.setAttribute("aria-disabled", "true");
      this.skipped.hidden = false;
      this.skipped.textContent = this.spec.skipped_text;
      if (!this.skipped.isConnected) this.node.prepend(this.skipped);
      this.target.tabIndex = -1;
    } else {
      this.skipped.hidden = true;
      this.target.removeAttribute("aria-disabled");
      this.target.tabIndex = 0;
    }
  }

  // --- save state -------------------------------------------------------------------

  showStatus() {
    const state = this.spec.status || null;
    this.problem.hidden = true;
    this.problem.replaceChildren();
    if (this.pending || this.pendingNoteCount()) {
      this.status.textContent = "Saving…";
      this.status.className = "status saving";
      return;
    }
    if (!state) {
      this.status.textContent = "";
      this.status.className = "status";
      return;
    }
    if (state.state === "saved") {
      this.status.textContent = `Saved ${state.at}`;
      this.status.className = "status saved";
      return;
    }
    this.status.textContent = state.state === "conflict" ? "Not saved: changed by someone else"
      : "Not saved";
    this.status.className = "status problem";
    this.problem.hidden = false;
    this.problem.append(el("span", { text: `Not saved: ${state.message}` }));
    if (state.state === "reason") this.askReason(state);
    else if (state.state === "conflict") this.offerConflict(state);
    else if (state.retry !== undefined) this.offerRetry(state);
  }

  pendingNoteCount() {
    return this.panel.pendingFor(this.name, "note").length;
  }

  askReason(state) {
    this.reasonBox = el("input", { type: "text", className: "reason",
      "aria-label": `Reason for changing ${this.label} after the council validated`,
      placeholder: "Reason for the change, e.g. the council asked by email on 3 May" });
    const retry = el("button", { type: "button", className: "retry", text: "Save with reason" });
    const go = () => {
      if (!this.reasonBox.value.trim()) return this.reasonBox.focus();
      const again = state.retry;
      this.panel.enqueue({ target: this.kind, variable: this.name, field: state.field || "value",
        value: again, based_on: this.spec.version || 0, reason: this.reasonBox.value.trim() });
      this.pending += 1;
      this.show(again);
      this.showStatus();
      this.panel.route();
      this.target.focus({ preventScroll: true });
    };
    retry.addEventListener("click", go);
    this.reasonBox.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        go();
      }
    });
    this.problem.append(this.reasonBox, retry);
  }

  offerConflict(state) {
    const mine = el("button", { type: "button", className: "retry", text: "Keep mine" });
    const theirs = el("button", { type: "button", className: "retry",
      text: `Take ${state.theirs_by}'s` });
    mine.addEventListener("click", () => {
      this.pending += 1;
      this.panel.enqueue({ target: this.kind, variable: this.name, field: state.field || "value",
        value: state.retry, based_on: this.spec.version || 0, reason: this.reasonText() });
      this.show(state.retry);
      this.showStatus();
    });
    theirs.addEventListener("click", () => {
      this.panel.enqueue({ target: this.kind, variable: this.name, field: "dismiss",
        value: null, based_on: this.spec.version || 0, reason: null });
      this.show(this.stored());
    });
    this.problem.append(mine, theirs);
  }

  offerRetry(state) {
    const retry = el("button", { type: "button", className: "retry", text: "Retry" });
    retry.addEventListener("click", () => {
      this.panel.enqueue({ target: this.kind, variable: this.name, field: state.field || "value",
        value: state.retry, based_on: this.spec.version || 0, reason: this.reasonText() });
      this.pending += 1;
      this.showStatus();
    });
    this.problem.append(retry);
  }

  flashProblem(message) {
    this.problem.hidden = false;
    this.problem.replaceChildren(el("span", { text: message }));
    clearTimeout(this.timers.flash);
    this.timers.flash = setTimeout(() => this.showStatus(), 2500);
  }
}

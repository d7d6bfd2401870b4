// Keyboard review (no build step, no inline script): j/k move between items, a/r/d act on the focused one,
// n focuses its note, o opens its speech. Done needs a note: d focuses the note, Enter then marks it done.
"use strict";
(function () {
  function items() { return Array.prototype.slice.call(document.querySelectorAll("[data-review-item]")); }

  function focusItem(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (el) { el.classList.remove("current"); });
    list[index].classList.add("current");
    list[index].focus();
    list[index].scrollIntoView({ block: "nearest" });
  }

  function currentIndex(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i++) {
      if (list[i] === active || list[i].contains(active) || list[i].classList.contains("current")) return i;
    }
    return 0;
  }

  function act(item, action) {
    var form = item.querySelector("form.act");
    if (!form) return;
    var button = form.querySelector('button[data-action="' + action + '"]');
    if (!button) return;
    var note = form.querySelector("[data-note]");
    if (action === "done" && note && !note.value.trim()) {
      form.classList.add("pending-done");
      form.dataset.pending = "done";
      note.focus();
      return;
    }
    form.requestSubmit(button);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = items();
    if (!list.length) return;
    var queue = document.querySelector("[data-queue]");
    var start = queue ? parseInt(queue.dataset.at || "0", 10) || 0 : 0;
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target && list.indexOf(target) >= 0) start = list.indexOf(target);
    }
    focusItem(list, start);
    list.forEach(function (el) {
      el.addEventListener("focusin", function () {
        list.forEach(function (other) { other.classList.toggle("current", other === el); });
      });
    });

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target.matches("input, textarea, select")) {
        var form = target.form;
        if (event.key === "Enter" && form && form.dataset.pending) {
          event.preventDefault();
          var pending = form.querySelector('button[data-action="' + form.dataset.pending + '"]');
          if (pending) form.requestSubmit(pending);
        } else if (event.key === "Escape") {
          if (form) { delete form.dataset.pending; form.classList.remove("pending-done"); }
          var owner = target.closest("[data-review-item]");
          if (owner) owner.focus();
        }
        return;
      }
      var index = currentIndex(list);
      var item = list[index];
      switch (event.key) {
        case "j": focusItem(list, index + 1); break;
        case "k": focusItem(list, index - 1); break;
        case "a": act(item, "accept"); break;
        case "r": act(item, "reject"); break;
        case "d": act(item, "done"); break;
        case "n": var note = item.querySelector("[data-note]"); if (note) note.focus(); break;
        case "o": var open = item.querySelector("[data-open]"); if (open) open.click(); break;
        default: return;
      }
      event.preventDefault();
    });
  });
})();

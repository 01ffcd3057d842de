// 送达分派: the "select all" box ticks every task on the page. Without script the boxes still work.
(function () {
  var all = document.getElementById("select-all");
  if (!all) return;
  var picks = document.querySelectorAll("input.pick");
  all.addEventListener("change", function () {
    for (var i = 0; i < picks.length; i++) picks[i].checked = all.checked;
  });
})();

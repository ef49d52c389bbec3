// Suggestions for a requester field while staff type (C10, C11): fills the field's datalist
// from /console/people/suggest. Without this script the field still takes an address or #id.
document.querySelectorAll('input[data-suggest]').forEach(function (input) {
  var list = document.getElementById(input.getAttribute('list'));
  var timer, last = '';
  input.addEventListener('input', function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (!list || q.length < 2 || q === last || q.charAt(0) === '#') return;
    timer = setTimeout(function () {
      last = q;
      fetch('/console/people/suggest?q=' + encodeURIComponent(q), {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (r) { return r.ok ? r.json() : {data: []}; })
        .then(function (body) {
          list.replaceChildren.apply(list, body.data.map(function (p) {
            var o = document.createElement('option');
            o.value = p.value;
            return o;
          }));
        })
        .catch(function () {});
    }, 150);
  });
});

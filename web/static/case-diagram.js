/* The case page's process diagram: bpmn-js NavigatedViewer (served from /vendor),
 * the instance's BPMN version, completed steps and the current step marked.
 *
 * <div class="diagram" id="case-diagram" data-xml-url=".." data-markers-url=".." data-error-text="..">
 * <button data-diagram-switch data-xml-url=".." data-markers-url="..">  (other instances of the case)
 */
(function () {
  'use strict';

  var container = document.getElementById('case-diagram');
  if (!container || typeof window.BpmnJS !== 'function') {
    return;
  }
  var status = document.getElementById('diagram-status');
  var viewer = new window.BpmnJS({ container: container });
  var loading = 0;

  function say(text) {
    if (status) {
      status.textContent = text || '';
    }
  }

  function fetchOk(url, kind) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: kind } }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ': HTTP ' + response.status);
      }
      return kind === 'application/json' ? response.json() : response.text();
    });
  }

  function mark(markers) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    function add(ids, css) {
      (ids || []).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, css);
        }
      });
    }
    add(markers.completed, 'completed');
    add(markers.current, 'current');
    if (markers.current_names && markers.current_names.length) {
      say(markers.current_names.join('、'));
    }
  }

  // On a narrow screen the fitted process is unreadable: start at a readable scale on the current step.
  function focusOnPhone(markers) {
    if (container.clientWidth >= 768) {
      return;
    }
    var canvas = viewer.get('canvas');
    var current = (markers.current || []).map(function (id) { return viewer.get('elementRegistry').get(id); })
      .filter(Boolean)[0];
    if (canvas.zoom() >= 0.6) {
      return;
    }
    var box = canvas.viewbox();
    var at = current ? { x: current.x + current.width / 2, y: current.y + current.height / 2 }
      : { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    canvas.zoom(0.8, at);
    var now = canvas.viewbox();
    canvas.scroll({ dx: (now.x + now.width / 2 - at.x) * now.scale, dy: (now.y + now.height / 2 - at.y) * now.scale });
  }

  function show(xmlUrl, markersUrl) {
    var mine = ++loading;
    say('');
    return Promise.all([fetchOk(xmlUrl, 'application/xml'), fetchOk(markersUrl, 'application/json')])
      .then(function (results) {
        if (mine !== loading) {
          return null;
        }
        return viewer.importXML(results[0]).then(function () {
          if (mine !== loading) {
            return;
          }
          viewer.get('canvas').zoom('fit-viewport', 'auto');
          mark(results[1]);
          focusOnPhone(results[1]);
          container.setAttribute('data-loaded', 'true');
        });
      })
      .catch(function (err) {
        if (window.console) {
          window.console.error(err);
        }
        say(container.getAttribute('data-error-text') || 'error');
      });
  }

  document.querySelectorAll('[data-diagram-switch]').forEach(function (button) {
    button.addEventListener('click', function () {
      document.querySelectorAll('[data-diagram-switch]').forEach(function (other) {
        other.classList.toggle('btn-secondary', other === button);
        other.classList.toggle('btn-outline-secondary', other !== button);
      });
      show(button.getAttribute('data-xml-url'), button.getAttribute('data-markers-url'));
    });
  });

  // Zoom buttons, and panning and pinching by touch (the viewer itself only follows a mouse): on a phone
  // the whole process fitted into the screen is a thin strip.
  function zoomBy(factor) {
    var canvas = viewer.get('canvas');
    canvas.zoom(Math.min(4, Math.max(0.2, canvas.zoom() * factor)), 'auto');
  }
  var labels = (container.getAttribute('data-zoom-labels') || 'Zoom in|Zoom out|Fit').split('|');
  var zoomBar = document.createElement('div');
  zoomBar.className = 'diagram-zoom btn-group-vertical';
  [['+', labels[0], function () { zoomBy(1.4); }], ['\u2212', labels[1], function () { zoomBy(1 / 1.4); }],
    ['\u2922', labels[2], function () { viewer.get('canvas').zoom('fit-viewport', 'auto'); }]].forEach(function (spec, i) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-light border';
    button.id = ['diagram-zoom-in', 'diagram-zoom-out', 'diagram-zoom-fit'][i];
    button.textContent = spec[0];
    button.title = spec[1];
    button.setAttribute('aria-label', spec[1]);
    button.addEventListener('click', spec[2]);
    zoomBar.appendChild(button);
  });
  container.appendChild(zoomBar);

  var touch = null;
  function spread(touches) {
    return Math.hypot(touches[0].clientX - touches[1].clientX, touches[0].clientY - touches[1].clientY);
  }
  container.addEventListener('touchstart', function (event) {
    if (zoomBar.contains(event.target)) {
      return;
    }
    var t = event.touches;
    touch = { x: t[0].clientX, y: t[0].clientY, spread: t.length > 1 ? spread(t) : 0 };
  }, { passive: true });
  container.addEventListener('touchmove', function (event) {
    if (!touch) {
      return;
    }
    var t = event.touches;
    if (t.length > 1 && touch.spread) {
      var now = spread(t);
      zoomBy(now / touch.spread);
      touch.spread = now;
    } else {
      viewer.get('canvas').scroll({ dx: t[0].clientX - touch.x, dy: t[0].clientY - touch.y });
    }
    touch.x = t[0].clientX;
    touch.y = t[0].clientY;
    event.preventDefault();
  }, { passive: false });
  container.addEventListener('touchend', function () { touch = null; });

  show(container.getAttribute('data-xml-url'), container.getAttribute('data-markers-url'));
})();

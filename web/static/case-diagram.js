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

  show(container.getAttribute('data-xml-url'), container.getAttribute('data-markers-url'));
})();

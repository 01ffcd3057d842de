// Loading pages for miniprogram-simulate: a component's js runs once per process (require caches
// it), so each page and the shared court-phone component are loaded once and reused.
const path = require('path');
const simulate = require('miniprogram-simulate');

const ROOT = path.resolve(__dirname, '..');
const loaded = {};

function componentId(name) {
  if (!loaded.phone) {
    loaded.phone = simulate.load(path.join(ROOT, 'components/court-phone/index'), { rootPath: ROOT, compiler: 'simulate' });
  }
  if (!loaded[name]) {
    loaded[name] = simulate.load(path.join(ROOT, 'pages', name, 'index'),
      { rootPath: ROOT, compiler: 'simulate', usingComponents: { 'court-phone': loaded.phone } });
  }
  return loaded[name];
}

function page(name) {
  const comp = simulate.render(componentId(name));
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

function courtPhone(props) {
  componentId('login');
  const comp = simulate.render(loaded.phone, props);
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

module.exports = { page, courtPhone };

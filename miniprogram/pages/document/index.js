// Page images behind signed links valid 5 minutes: an expired one is fetched again.
const api = require('../../utils/api');

const ZOOMS = [1, 1.5, 2, 3];

Component({
  data: { title: '', pages: [], zoom: 1, error: '', delivery: 0, document: 0 },
  methods: {
    onLoad(query) {
      this.setData({ delivery: Number(query.delivery), document: Number(query.document) });
      return this.load();
    },
    async load() {
      try {
        const answer = await api.get('/deliveries/' + this.data.delivery + '/documents/' + this.data.document);
        this.setData({ title: answer.title, pages: answer.pages.map(api.absolute), error: '' });
      } catch (e) {
        this.setData({ error: e.message });
      }
    },
    zoomIn() {
      const next = ZOOMS.find((z) => z > this.data.zoom);
      if (next) this.setData({ zoom: next });
    },
    zoomOut() {
      const smaller = ZOOMS.filter((z) => z < this.data.zoom);
      if (smaller.length) this.setData({ zoom: smaller[smaller.length - 1] });
    },
    preview(e) {
      wx.previewImage({ urls: this.data.pages, current: this.data.pages[e.currentTarget.dataset.index] });
    },
    expired() {
      return this.load();
    }
  }
});

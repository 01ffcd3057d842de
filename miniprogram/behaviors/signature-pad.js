// The handwriting pad of the sign page and the 送达地址确认书 page: a 2d canvas (#pad) drawn by
// touch and exported as PNG. `points` holds what was drawn (too few: nothing was written); the
// server refuses a signature whose ink spans less than a third of the shorter side.
module.exports = Behavior({
  methods: {
    setUpPad() {
      this.points = [];
      this.createSelectorQuery().select('#pad').fields({ node: true, size: true }).exec((res) => {
        const info = res && res[0];
        if (!info || !info.node) return;  // not in a real client (tests)
        const dpr = wx.getWindowInfo ? wx.getWindowInfo().pixelRatio : 2;
        info.node.width = info.width * dpr;
        info.node.height = info.height * dpr;
        this.canvas = info.node;
        this.ctx = info.node.getContext('2d');
        this.ctx.scale(dpr, dpr);
        this.ctx.lineWidth = 4;
        this.ctx.lineCap = 'round';
        this.ctx.strokeStyle = '#000';
      });
    },
    point(e) {
      const t = e.touches && e.touches[0];
      return t ? { x: t.x, y: t.y } : null;
    },
    start(e) {
      const p = this.point(e);
      if (!p) return;
      this.points.push(p);
      if (this.ctx) { this.ctx.beginPath(); this.ctx.moveTo(p.x, p.y); }
    },
    move(e) {
      const p = this.point(e);
      if (!p) return;
      this.points.push(p);
      if (this.ctx) { this.ctx.lineTo(p.x, p.y); this.ctx.stroke(); }
    },
    end() {},
    clearPad() {
      this.points = [];
      if (this.ctx && this.canvas) this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    },
    exportPng() {
      return new Promise((resolve, reject) => wx.canvasToTempFilePath({
        canvas: this.canvas, fileType: 'png', success: (r) => resolve(r.tempFilePath), fail: reject }, this));
    }
  }
});

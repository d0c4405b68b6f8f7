// Where a source image lands in the model input canvas: scaled to fit inside, aspect kept,
// placed top-left. The same formula is handed to ffmpeg's scale filter as an expression, so the
// size ffmpeg produces and the one reported in Frame.contentWidth/Height agree exactly.

export interface ContentSize {
  contentWidth: number;
  contentHeight: number;
}

/**
 * Content size for a source of iw x ih in a canvas of cw x ch. Wider sources fill the width,
 * taller ones the height; the other side is rounded to the nearest pixel (at least 1).
 * Evaluated in doubles in the same order as the ffmpeg expressions from `scaleExpressions`.
 */
export function fitCanvas(iw: number, ih: number, cw: number, ch: number): ContentSize {
  const wider = iw * ch >= ih * cw;
  const contentWidth = wider ? cw : Math.max(1, Math.min(cw, Math.floor((iw * ch) / ih + 0.5)));
  const contentHeight = wider ? Math.max(1, Math.min(ch, Math.floor((ih * cw) / iw + 0.5))) : ch;
  return { contentWidth, contentHeight };
}

/** ffmpeg scale-filter expressions (quoted for a filtergraph) computing `fitCanvas` from iw, ih. */
export function scaleExpressions(cw: number, ch: number): { w: string; h: string } {
  const wider = `gte(iw*${ch},ih*${cw})`;
  return {
    w: `'if(${wider},${cw},max(1,min(${cw},floor(iw*${ch}/ih+0.5))))'`,
    h: `'if(${wider},max(1,min(${ch},floor(ih*${cw}/iw+0.5))),${ch})'`,
  };
}

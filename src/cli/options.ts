/** Options several commands share, declared once so their help reads the same. */

/** --model: the model directory a command reads. */
export const modelOption = { type: 'string', demandOption: true, describe: 'Model directory written by `xlatent train` (or a run directory holding model/) or by `xlatent baseline`' } as const;

/** --png / --no-png: PNG copies next to the SVG figures. */
export const pngOption = { type: 'boolean', default: true, describe: 'Also write PNG copies of the SVG figures (--no-png to skip)' } as const;

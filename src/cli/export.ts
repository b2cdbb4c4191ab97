import type { CommandModule } from 'yargs';
import { exportOnnx, exportTfjs } from '../export/bundle.js';
import { readModelDir } from '../export/model-dir.js';
import { modelOption } from './options.js';

interface Args {
  model: string;
  format: 'tfjs' | 'onnx';
  out: string;
  page: boolean;
}

/** `xlatent export`: a trained model directory -> ONNX files or a self-contained TF.js folder with a browser page. */
const command: CommandModule<object, Args> = {
  command: 'export',
  builder: (y) =>
    y
      .option('model', modelOption)
      .option('format', { choices: ['tfjs', 'onnx'] as const, demandOption: true, describe: 'onnx: encoder.onnx + decoder.onnx; tfjs: model folder + index.html + tf.min.js' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory (replaced atomically if it exists)' })
      .option('page', { type: 'boolean', default: true, describe: 'tfjs only: include the decoder explorer page (index.html) and tf.min.js' })
      .example('$0 export --model runs/model --format onnx --out runs/model-onnx', 'ONNX for onnxruntime (Python, C++)')
      .example('$0 export --model runs/model --format tfjs --out site/', 'then `python3 -m http.server -d site` and open the page') as never,
  handler: async (argv) => {
    const bundle = await readModelDir(argv.model);
    const files = argv.format === 'onnx' ? await exportOnnx(bundle, argv.out) : await exportTfjs(bundle, argv.out, argv.page);
    process.stdout.write(`wrote ${files.length} files to ${argv.out}:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
    if (argv.format === 'tfjs' && argv.page) {
      process.stdout.write(`open the decoder explorer: python3 -m http.server 8000 --bind 127.0.0.1 -d ${argv.out}  ->  http://127.0.0.1:8000/\n`);
    }
  },
};
export default command;

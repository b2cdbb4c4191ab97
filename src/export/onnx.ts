import protobuf from 'protobufjs';
import type { NetworkSpec } from '../model/spec.js';
import { ONNX_PROTO_TEXT } from './onnx-proto-text.js';
import { validateSpec } from './tfjs.js';

/**
 * NetworkSpec -> ONNX ModelProto (IR version 8, default-domain opset 17),
 * serialized with protobufjs from the official onnx.proto. The batch
 * dimension is symbolic ("batch"), so onnxruntime (Python, C++, JS) runs any
 * number of rows in one call.
 *
 * Layer mapping: dense -> Gemm (y = x W + b); prelu -> PRelu with a [C]
 * slope (broadcast over the last axis); relu -> Relu; softplus -> Softplus;
 * swish -> Sigmoid + Mul; batchnorm -> BatchNormalization with scale = 1,
 * B = 0 initializers (inference mode), which is exactly (x - mean) / sqrt(var + eps).
 */

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_FLOAT = 1; // AttributeProto.AttributeType.FLOAT
const ATTR_INT = 2;

let root: protobuf.Root | undefined;
function onnxRoot(): protobuf.Root {
  // keepCase keeps the .proto's snake_case field names (ir_version, op_type ...).
  root ??= protobuf.parse(ONNX_PROTO_TEXT, { keepCase: true }).root;
  return root;
}

/** The protobufjs type of onnx.ModelProto (for decoding in tests and tools). */
export function modelProtoType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

/** Options of {@link specToOnnx}. */
export interface OnnxExportOptions {
  /** Graph input name, e.g. "spectrum" for an encoder. */
  inputName: string;
  /** Graph output name, e.g. "latent" for an encoder. */
  outputName: string;
  /** Graph name ("encoder", "decoder"). */
  graphName: string;
  /** Human-readable description stored as ModelProto.doc_string. */
  docString?: string;
  /** Key/value strings stored as ModelProto.metadata_props (onnxruntime exposes them as custom metadata). */
  metadataProps?: Record<string, string>;
  /** producer_version; the xlatent version. */
  producerVersion?: string;
}

interface NodeDef {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute?: object[];
}

function floatTensor(name: string, dims: number[], values: Float32Array) {
  // raw_data must be little-endian IEEE 754; copy so the view's offset does not matter.
  const bytes = new Uint8Array(values.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return { name, dims, data_type: FLOAT, raw_data: bytes };
}

function valueInfo(name: string, width: number, doc: string) {
  return {
    name,
    doc_string: doc,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: 'batch' }, { dim_value: width }] } } },
  };
}

/** Builds and serializes the ONNX model of `spec`; returns the bytes of a .onnx file. */
export function specToOnnx(spec: NetworkSpec, opts: OnnxExportOptions): Uint8Array {
  validateSpec(spec, opts.graphName);
  const nodes: NodeDef[] = [];
  const initializers: ReturnType<typeof floatTensor>[] = [];
  let current = opts.inputName;
  const last = spec.layers.length - 1;
  let width = spec.inputs;
  spec.layers.forEach((l, i) => {
    const out = i === last ? opts.outputName : `h${i}_${l.kind}`;
    const p = `l${i}`;
    switch (l.kind) {
      case 'dense':
        initializers.push(floatTensor(`${p}.kernel`, [l.inputs, l.units], l.kernel), floatTensor(`${p}.bias`, [l.units], l.bias));
        nodes.push({ input: [current, `${p}.kernel`, `${p}.bias`], output: [out], name: `${p}_gemm`, op_type: 'Gemm' });
        width = l.units;
        break;
      case 'prelu':
        initializers.push(floatTensor(`${p}.alpha`, [width], l.alpha));
        nodes.push({ input: [current, `${p}.alpha`], output: [out], name: `${p}_prelu`, op_type: 'PRelu' });
        break;
      case 'batchnorm':
        initializers.push(
          floatTensor(`${p}.scale`, [width], new Float32Array(width).fill(1)),
          floatTensor(`${p}.shift`, [width], new Float32Array(width)),
          floatTensor(`${p}.mean`, [width], l.mean),
          floatTensor(`${p}.variance`, [width], l.variance),
        );
        nodes.push({
          input: [current, `${p}.scale`, `${p}.shift`, `${p}.mean`, `${p}.variance`],
          output: [out],
          name: `${p}_batchnorm`,
          op_type: 'BatchNormalization',
          attribute: [{ name: 'epsilon', type: ATTR_FLOAT, f: l.epsilon }, { name: 'training_mode', type: ATTR_INT, i: 0 }],
        });
        break;
      case 'activation':
        if (l.fn === 'relu') nodes.push({ input: [current], output: [out], name: `${p}_relu`, op_type: 'Relu' });
        else if (l.fn === 'softplus') nodes.push({ input: [current], output: [out], name: `${p}_softplus`, op_type: 'Softplus' });
        else if (l.fn === 'swish') {
          nodes.push({ input: [current], output: [`${p}_sigmoid`], name: `${p}_sigmoid`, op_type: 'Sigmoid' });
          nodes.push({ input: [current, `${p}_sigmoid`], output: [out], name: `${p}_swish`, op_type: 'Mul' });
        } else nodes.push({ input: [current], output: [out], name: `${p}_linear`, op_type: 'Identity' });
        break;
    }
    current = out;
  });
  if (spec.layers.length === 0) nodes.push({ input: [current], output: [opts.outputName], name: 'identity', op_type: 'Identity' });

  const Model = modelProtoType();
  const message = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'xlatent',
    producer_version: opts.producerVersion ?? '',
    doc_string: opts.docString ?? '',
    graph: {
      name: opts.graphName,
      node: nodes,
      initializer: initializers,
      input: [valueInfo(opts.inputName, spec.inputs, `${opts.inputName}: float32 [batch, ${spec.inputs}]`)],
      output: [valueInfo(opts.outputName, spec.outputs, `${opts.outputName}: float32 [batch, ${spec.outputs}]`)],
    },
    metadata_props: Object.entries(opts.metadataProps ?? {}).map(([key, value]) => ({ key, value })),
  };
  const err = Model.verify(message);
  if (err) throw new Error(`internal: ONNX message does not verify: ${err}`);
  return Model.encode(Model.fromObject(message)).finish();
}

/** Decodes .onnx bytes into a plain object (snake_case fields; int64 as numbers). */
export function decodeOnnx(bytes: Uint8Array): Record<string, unknown> {
  const Model = modelProtoType();
  return Model.toObject(Model.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Record<string, unknown>;
}

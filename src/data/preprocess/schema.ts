import { z } from 'zod';

/**
 * The `preprocess` section of a training config and the fitted pipeline a
 * model stores (metadata.json `preprocess`). Spectra go through these steps,
 * in this order, by one code path (src/data/preprocess/pipeline.ts) both when
 * the training data are read and whenever new spectra meet the model:
 *
 *   1. broaden         calculated spectra only (the training file, and inputs
 *                      marked --calculated), on their own energy grid
 *   2. calibrate       a global energy shift per role: calculatedShift for
 *                      calculated spectra, the measured shift (given, or fitted
 *                      from a reference compound) for measured spectra
 *   3. xas             edge-step normalization as xraylarch's pre_edge
 *   4. alignE0         optional per-spectrum alignment of E0
 *   5. grid, then data.normalization (intensity), as before
 *
 * Every field is documented where it is declared.
 */

const positive = z.number().positive();
const finite = z.number().finite();

/** One broadening kernel; several apply in the order listed. */
export const BroadenStepSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    /** Gaussian: instrument (monochromator) resolution. */
    kind: z.literal('gaussian'),
    /** Full width at half maximum, eV. */
    fwhm: positive,
  }),
  z.strictObject({
    /** Lorentzian of constant width: core-hole lifetime. */
    kind: z.literal('lorentzian'),
    /** Full width at half maximum, eV. */
    fwhm: positive,
  }),
  z.strictObject({
    /**
     * FDMNES's own convolution: a Lorentzian of full width
     * Gamma(E) = gammaHole + gammaMax (1/2 + 1/pi arctan(pi/3 gammaMax/eLarg (e - 1/e^2))),
     * e = (E - eFermi)/eCent; gammaHole below eFermi, where the spectrum is cut to 0.
     */
    kind: z.literal('fdmnes'),
    /** Core-hole width Gamma_hole, eV (about 1.2 eV at the Fe K edge). */
    gammaHole: positive,
    /** Gamma_max, eV (FDMNES default 15). */
    gammaMax: positive.default(15),
    /** Ecent, eV (FDMNES default 30). */
    eCent: positive.default(30),
    /** Elarg, eV (FDMNES default 30). */
    eLarg: positive.default(30),
    /** Efermi: the Fermi level in the calculated spectrum's own energy scale (as in the file), eV. */
    eFermi: finite,
  }),
]);

/**
 * XAS normalization, as xraylarch's pre_edge (same names and meanings): the
 * pre-edge line over [E0+pre1, E0+pre2] is subtracted, a polynomial of degree
 * nnorm over [E0+norm1, E0+norm2] gives the edge step at E0, and the spectrum
 * is divided by it (`norm`); `flat` also removes the post-edge curvature above
 * E0. Ranges too short for the data (XANES-only calculations) fall back to
 * short automatic ranges, as src/data/xas/normalize.ts documents.
 */
export const XasSchema = z.strictObject({
  /** E0 in eV (after calibration); null: maximum of the smoothed first derivative, per spectrum. */
  e0: finite.nullable().default(null),
  /** Start of the pre-edge fit range relative to E0, eV. */
  pre1: finite.default(-200),
  /** End of the pre-edge fit range relative to E0, eV. */
  pre2: finite.default(-30),
  /** Start of the post-edge fit range relative to E0, eV. */
  norm1: finite.default(150),
  /** End of the post-edge fit range relative to E0, eV; null: the last point. */
  norm2: finite.nullable().default(null),
  /** Degree of the post-edge polynomial (0-3); null: by range width (2 from 350 eV, 1 from 50 eV, else 0). */
  nnorm: z.number().int().min(0).max(3).nullable().default(null),
  /** Degree of the pre-edge fit (0 constant, 1 line); null: 1 when the range spans 50 eV or more. */
  npre: z.union([z.literal(0), z.literal(1)]).nullable().default(null),
  /** Victoreen exponent: the pre-edge line is fitted to mu E^nvict. */
  nvict: finite.default(0),
  /** Edge step to divide by instead of the fitted one; null: fitted per spectrum. */
  step: positive.nullable().default(null),
  /** Which curve goes on: `norm` (mu - pre-edge)/step, or `flat` (post-edge curvature removed above E0). */
  output: z.enum(['norm', 'flat']).default('norm'),
  /** Gaussian smoothing (eV) of dmu/dE for the E0 search; null: 1.5 x the median energy step. */
  e0Smoothing: positive.nullable().default(null),
  /** Search E0 only in [lo, hi] eV (on the model's energy scale, after calibration); null: the whole spectrum. */
  e0Window: z.tuple([finite, finite]).nullable().default(null),
});

/** Where the measured-scale shift comes from. */
export const ReferenceSchema = z.strictObject({
  /** File (any format xlatent reads) with the calculated spectrum of the reference compound. */
  calculated: z.string().min(1),
  /** Spectrum id in that file when it holds several. */
  calculatedId: z.string().min(1).optional(),
  /**
   * File with the same compound measured; the shift is fitted at training time and stored.
   * Omit it to store the calculated reference only and fit at embed time (`embed --reference F`).
   */
  measured: z.string().min(1).optional(),
  /** Spectrum id in that file when it holds several. */
  measuredId: z.string().min(1).optional(),
  /** `derivative`: best correlation of dmu/dE; `least-squares`: smallest squared difference of the normalized spectra. */
  method: z.enum(['derivative', 'least-squares']).default('derivative'),
  /** Half-width (eV) of the search around the difference of the two E0. */
  window: positive.default(20),
});

export const CalibrateSchema = z
  .strictObject({
    /** eV added to the energies of calculated spectra (e.g. relative FDMNES energies onto an absolute scale). */
    calculatedShift: finite.default(0),
    /** eV added to the energies of measured spectra (measured scale -> model scale); `embed --shift` overrides it. */
    measuredShift: finite.optional(),
    /** Fit the measured shift from a reference compound present in both sets instead of giving it. */
    reference: ReferenceSchema.optional(),
  })
  .refine((c) => !(c.measuredShift !== undefined && c.reference?.measured !== undefined), {
    message: 'give either calibrate.measuredShift or calibrate.reference.measured, not both',
  });

export const PreprocessSchema = z.strictObject({
  /** Kernels applied to calculated spectra only (training data and --calculated inputs), in order. */
  broaden: z.array(BroadenStepSchema).default([]),
  /** Energy calibration between the calculated and the measured scales. */
  calibrate: CalibrateSchema.prefault({}),
  /** XAS normalization (xraylarch pre_edge) of every spectrum; omit to leave intensities as read. */
  xas: XasSchema.optional(),
  /**
   * Shift every spectrum so its own E0 lands on `target` (0 puts the grid relative to E0).
   * This removes the chemical shift, i.e. the oxidation-state signal in the edge position:
   * use it only when the descriptors do not depend on the edge position.
   */
  alignE0: z.strictObject({ target: finite.default(0) }).optional(),
  /**
   * A training spectrum the pipeline cannot process (no positive edge step, no edge inside e0Window ...):
   * `error` stops with a message naming it; `skip` leaves it out and says which were left out.
   * New spectra (embed, evaluate --data) always stop with the error.
   */
  onFailure: z.enum(['error', 'skip']).default('error'),
});

export type BroadenStep = z.infer<typeof BroadenStepSchema>;
export type XasParams = z.infer<typeof XasSchema>;
export type PreprocessConfig = z.infer<typeof PreprocessSchema>;
export type ReferenceConfig = z.infer<typeof ReferenceSchema>;

/** The fitted pipeline as a model stores it (metadata.json `preprocess`). */
export const PreprocessParamsSchema = z.strictObject({
  version: z.literal(1),
  broaden: z.array(BroadenStepSchema),
  /** eV added to the energies of each role. */
  shift: z.strictObject({ calculated: finite, measured: finite }),
  /** How the measured shift was set: not at all (0), given in the config, or fitted from a reference compound. */
  measuredShiftSource: z.enum(['none', 'given', 'reference']),
  /** The reference fit behind the measured shift. */
  shiftFit: z
    .strictObject({ method: z.enum(['derivative', 'least-squares']), score: finite, e0Calculated: finite, e0Measured: finite, window: positive })
    .nullable(),
  xas: XasSchema.nullable(),
  alignE0: z.strictObject({ target: finite }).nullable(),
  /** The calculated reference compound after broadening and calculatedShift (for `embed --reference`). */
  reference: z
    .strictObject({
      id: z.string(),
      energy: z.array(finite).min(2),
      mu: z.array(finite).min(2),
      method: z.enum(['derivative', 'least-squares']),
      window: positive,
    })
    .nullable(),
});
export type PreprocessParams = z.infer<typeof PreprocessParamsSchema>;

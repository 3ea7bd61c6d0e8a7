// The estimate API's shapes (/work/estimate-contract.md; the result is `qaita estimate --json`).
import type { GradeTonnageRow, ResourceRow } from '../types';
import type { VariogramModel } from './variogram';

export interface Upload {
  id: number;
  name: string;
  bytes?: number;
  sha256?: string;
  owner?: string;
  created_at?: string;
}
export interface LagBin {
  distance: number;
  gamma: number;
  pairs: number;
}
export interface VariogramView {
  model: VariogramModel;
  source?: string;
  lag?: number;
  experimental?: [string, LagBin[]][];
  weighted_sse?: number | null;
  curve?: [string, [number, number][]][];
}
export interface SamplesReport {
  file?: string;
  used?: number;
  read?: number;
  statistics?: unknown;
  missing?: unknown[];
  zeroed?: unknown[];
  merged_duplicates?: unknown[];
  [k: string]: unknown;
}
export interface Preview {
  tmf: string;
  commodity: string;
  unit: string;
  crs: string;
  dimension: number;
  samples?: SamplesReport;
  points?: number[][];
  variogram: VariogramView;
}
export interface CvRow {
  method: string;
  estimated: number;
  failed: number;
  mean_error: number | null;
  rmse: number | null;
  mean_standardised_squared_error: number | null;
}
export interface Crossval {
  variogram?: unknown;
  rows: CvRow[];
}
export interface EstimateResult {
  tmf: string;
  commodity: string;
  unit: string;
  crs: string;
  dimension: number;
  samples?: SamplesReport;
  variogram?: VariogramView;
  estimator?: unknown;
  neighbourhood?: { min?: number; max?: number; radius?: number };
  cross_validation?: Omit<CvRow, 'method'>;
  blocks?: { count?: number; size_m?: number; layer_m?: number | null; density_t_m3?: number; estimated?: number; not_estimated?: unknown; tonnes?: number; thickness?: unknown };
  grade_relative_sd?: number;
  grade_tonnage: GradeTonnageRow[];
  resources: ResourceRow[];
  blocks_geojson?: GeoJSON.FeatureCollection;
  analysis?: { id: number; version: number } | null;
}
export interface EstimateVersion {
  version: number;
  created_at?: string;
  actor?: string;
  method?: string;
  commodity?: string;
  unit?: string;
  crs?: string;
  resources?: ResourceRow[];
  grade_tonnage?: GradeTonnageRow[];
}

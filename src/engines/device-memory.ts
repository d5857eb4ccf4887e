/**
 * The one memory rule for models on this device (the probe's model choice and the engine's CPU
 * widening both use it). `navigator.deviceMemory` is capped at 8 GB and rounded down, so a model is
 * refused only when the device clearly cannot hold it: more than half of the RAM it reports below 8 GB.
 * Unknown memory never refuses.
 */
const GB = 1024 * 1024 * 1024;

export function exceedsDeviceMemory(bytes: number, deviceMemoryGB: number | undefined): boolean {
  if (deviceMemoryGB === undefined || !(deviceMemoryGB > 0) || deviceMemoryGB >= 8) return false;
  return bytes > deviceMemoryGB * GB * 0.5;
}

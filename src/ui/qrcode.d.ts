// Types for the parts of `qrcode` (1.5) the room panel uses; the package ships none.
declare module 'qrcode' {
  export interface QRCodeOptions {
    readonly margin?: number;
    readonly width?: number;
    readonly errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  }
  /** A PNG data: URL of the QR code of `text`. */
  export function toDataURL(text: string, options?: QRCodeOptions): Promise<string>;
  const QRCode: { toDataURL: typeof toDataURL };
  export default QRCode;
}

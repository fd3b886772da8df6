// Types for the parts of `qrcode` (1.5) the room panel and its test use; the package ships none.
declare module 'qrcode' {
  export interface QRCodeOptions {
    readonly margin?: number;
    readonly width?: number;
    readonly errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  }
  /** A PNG data: URL of the QR code of `text`. */
  export function toDataURL(text: string, options?: QRCodeOptions): Promise<string>;
  /** The symbol for `text`: its module matrix (true = dark). */
  export interface QRCodeSymbol {
    readonly modules: { readonly size: number; get(row: number, col: number): boolean | 0 | 1 };
  }
  export function create(text: string, options?: QRCodeOptions): QRCodeSymbol;
  const QRCode: { toDataURL: typeof toDataURL; create: typeof create };
  export default QRCode;
}

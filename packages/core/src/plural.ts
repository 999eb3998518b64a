/** `1 target`, `20,000 targets`, `2 processes`: a count and its noun, for messages. */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : noun.endsWith('s') ? 'es' : 's'}`
}

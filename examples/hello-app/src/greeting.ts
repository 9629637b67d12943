/** A greeting for `name` in `language` (falls back to English for an unknown language). */
export function greet(name: string, language: Language = 'en'): string {
  const template = templates[language] ?? templates.en;
  return template.replace('{name}', name.trim() || 'world');
}

export type Language = 'en' | 'fr' | 'de' | 'es';

const templates: Record<Language, string> = {
  en: 'Hello, {name}!',
  fr: 'Bonjour, {name} !',
  de: 'Hallo, {name}!',
  es: '¡Hola, {name}!',
};
